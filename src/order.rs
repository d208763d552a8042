//! Sorting rows too big to move around cheaply: a month's resource rows and findings, hundreds
//! of bytes each and millions of them. A stable sort moves every element about log n times;
//! sorting their positions and then moving each element once gives the same order faster.

use std::cmp::Ordering;

/// Sorts `items` by `compare` into exactly the order `slice::sort_by` (stable) gives.
pub fn sort_stable_by<T>(items: &mut [T], compare: impl FnMut(&T, &T) -> Ordering) {
    let order = stable_order(items, |_| (), compare);
    permute(items, order);
}

/// The positions of `items` in the order a stable sort by `key`, then `compare`, gives: each
/// key is computed once and compared where the keys lie side by side, so `key` should hold
/// what decides most comparisons (as cheap values: ranks rather than text), `compare` the
/// rest.
pub fn stable_order<'a, T, K: Ord>(
    items: &'a [T],
    key: impl Fn(&'a T) -> K,
    mut compare: impl FnMut(&T, &T) -> Ordering,
) -> Vec<usize> {
    let mut keyed: Vec<(K, usize)> = items.iter().map(key).zip(0..).collect();
    // Unstable, with the position as the last tie-break: the stable order, without the
    // stable sort's buffer of keys.
    keyed.sort_unstable_by(|(key_a, a), (key_b, b)| {
        key_a
            .cmp(key_b)
            .then_with(|| compare(&items[*a], &items[*b]))
            .then(a.cmp(b))
    });
    keyed.into_iter().map(|(_, position)| position).collect()
}

/// Puts what is at `order[i]` at position `i`, following the permutation's cycles: every
/// element moves once (by a swap), whatever the size of `T`.
pub fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        let mut current = start;
        while order[current] != start && order[current] != current {
            let next = order[current];
            items.swap(current, next);
            order[current] = current;
            current = next;
        }
        order[current] = current;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys with many ties, so stability shows: (key, original position).
    fn rows(n: usize, seed: u64) -> Vec<(u64, usize)> {
        let mut x = seed;
        (0..n)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((x >> 33) % 7, i)
            })
            .collect()
    }

    #[test]
    fn gives_the_stable_sort_order_on_ties_cycles_and_fixed_points() {
        for (n, seed) in [(0, 1), (1, 2), (2, 3), (10, 4), (1000, 5), (4097, 6)] {
            let mut ours = rows(n, seed);
            let mut std_order = ours.clone();
            sort_stable_by(&mut ours, |a, b| a.0.cmp(&b.0));
            std_order.sort_by_key(|row| row.0);
            assert_eq!(ours, std_order, "n = {n}");
        }
        let mut reversed: Vec<u32> = (0..9).rev().collect();
        sort_stable_by(&mut reversed, |a, b| a.cmp(b));
        assert_eq!(reversed, (0..9).collect::<Vec<_>>());
        let mut sorted: Vec<u32> = (0..9).collect();
        sort_stable_by(&mut sorted, |a, b| a.cmp(b));
        assert_eq!(sorted, (0..9).collect::<Vec<_>>());
    }

    #[test]
    fn a_key_then_a_comparison_give_the_stable_sort_order() {
        for (n, seed) in [(0, 7), (1, 8), (1000, 9), (4097, 10)] {
            // Keyed by the parity, then compared by the value: ties on both stay in order.
            let mut ours = rows(n, seed);
            let mut std_order = ours.clone();
            let order = stable_order(&ours, |row| row.0 % 2, |a, b| a.0.cmp(&b.0));
            permute(&mut ours, order);
            std_order.sort_by(|a, b| (a.0 % 2).cmp(&(b.0 % 2)).then(a.0.cmp(&b.0)));
            assert_eq!(ours, std_order, "n = {n}");
        }
    }
}
