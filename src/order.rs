//! Sorting rows too big to move around cheaply: a month's resource rows and findings, hundreds
//! of bytes each and millions of them. A stable sort moves every element about log n times;
//! sorting their positions and then moving each element once gives the same order faster.

use std::cmp::Ordering;

/// Sorts `items` by `compare` into exactly the order `slice::sort_by` (stable) gives.
pub fn sort_stable_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| compare(&items[a], &items[b]));
    permute(items, order);
}

/// Puts what is at `order[i]` at position `i`, following the permutation's cycles: every
/// element moves once (by a swap), whatever the size of `T`.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
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
}
