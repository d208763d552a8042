//! PNG charts of the report, 1200×700, drawn with plotters into a memory buffer and encoded
//! here so the bytes depend only on the analysis (no timestamp or encoder metadata).
//!
//! Text is laid out by this module with ab_glyph from DejaVu Sans compiled into the binary (no
//! system font library). plotters' own ab_glyph text drops each glyph's left side bearing,
//! which spaces digits unevenly ("8,21 0.70"), so no plotters text is used: axes, ticks and
//! labels are drawn here, measured so they never overlap. Colours are the Okabe–Ito palette,
//! which stays distinguishable with the common colour-vision deficiencies.
//!
//! A chart whose data is empty (no commitments to size, no required tags...) is still
//! written, with its title and a "no data" message saying why, so the report folder always
//! has the same files.

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::summary::{money, pct};
use crate::analyse::allocation::ALL_REQUIRED;
use crate::analyse::sizing::Sizing;
use crate::analyse::Analysis;
use crate::error::{ErrContext, Error, Result};
use crate::findings::{Category, HOURS_PER_MONTH};
use crate::money::Money;
use crate::period::DAY_MS;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 700;

pub const DAILY_COST: &str = "daily_cost.png";
pub const COST_BY_ACCOUNT: &str = "cost_by_account.png";
pub const TAG_COVERAGE: &str = "tag_coverage.png";
pub const SAVINGS_BY_CATEGORY: &str = "savings_by_category.png";
pub const COMMITMENT_SAVINGS_CURVE: &str = "commitment_savings_curve.png";
pub const UNTAGGED_TOP: &str = "untagged_top.png";
pub const MONTHLY_TREND: &str = "monthly_trend.png";

/// One chart: its file name and the function drawing it.
pub type ChartFn = fn(&Analysis) -> Result<Vec<u8>>;

/// Every chart, in the order the HTML report shows them.
pub const CHARTS: [(&str, ChartFn); 7] = [
    (MONTHLY_TREND, monthly_trend),
    (DAILY_COST, daily_cost),
    (COST_BY_ACCOUNT, cost_by_account),
    (TAG_COVERAGE, tag_coverage),
    (UNTAGGED_TOP, untagged_top),
    (SAVINGS_BY_CATEGORY, savings_by_category),
    (COMMITMENT_SAVINGS_CURVE, commitment_savings_curve),
];

// Okabe–Ito. Yellow is kept for last: it is the weakest against white.
const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
const OI_YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
/// "Other": neutral grey, outside the hue palette on purpose.
const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
const GRID: RGBColor = RGBColor(0xE0, 0xE0, 0xE0);
const PANEL: RGBColor = RGBColor(0xF4, 0xF4, 0xF4);

const SERIES: [RGBColor; 7] = [BLUE, ORANGE, SKY, GREEN, VERMILLION, PURPLE, OI_YELLOW];

const TITLE_SIZE: f32 = 28.0;
const SUBTITLE_SIZE: f32 = 17.0;
const LABEL_SIZE: f32 = 16.0;
const VALUE_SIZE: f32 = 15.0;
const LEFT: i32 = 24;

type DrawResult<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
type Chart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

// ---------------------------------------------------------------------------------------------
// Text

struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| Fonts {
        regular: FontRef::try_from_slice(dejavu::sans::regular()).expect("DejaVu Sans parses"),
        bold: FontRef::try_from_slice(dejavu::sans::bold()).expect("DejaVu Sans Bold parses"),
    })
}

#[derive(Clone, Copy)]
struct Style {
    size: f32,
    bold: bool,
    color: RGBColor,
}

fn plain(size: f32) -> Style {
    Style {
        size,
        bold: false,
        color: INK,
    }
}

fn strong(size: f32) -> Style {
    Style {
        size,
        bold: true,
        color: INK,
    }
}

impl Style {
    fn color(self, color: RGBColor) -> Style {
        Style { color, ..self }
    }

    fn font(&self) -> &'static FontRef<'static> {
        if self.bold {
            &fonts().bold
        } else {
            &fonts().regular
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum H {
    Left,
    Center,
    Right,
}

#[derive(Clone, Copy, PartialEq)]
enum V {
    /// The top of the capitals at the anchor.
    Top,
    /// Capitals centred on the anchor.
    Center,
    /// The baseline at the anchor.
    Baseline,
}

/// The caret position of every glyph and the total advance.
fn layout(text: &str, style: Style) -> (Vec<(ab_glyph::GlyphId, f32)>, f32) {
    let font = style.font().as_scaled(PxScale::from(style.size));
    let mut caret = 0.0;
    let mut prev = None;
    let mut glyphs = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = prev {
            caret += font.kern(p, id);
        }
        glyphs.push((id, caret));
        caret += font.h_advance(id);
        prev = Some(id);
    }
    (glyphs, caret)
}

fn text_width(text: &str, style: Style) -> i32 {
    layout(text, style).1.ceil() as i32
}

fn cap_height(style: Style) -> f32 {
    let font = style.font();
    let glyph = font
        .glyph_id('H')
        .with_scale_and_position(PxScale::from(style.size), point(0.0, 0.0));
    font.outline_glyph(glyph)
        .map_or(style.size * 0.63, |g| -g.px_bounds().min.y)
}

/// `text` shortened with an ellipsis to at most `max_px` wide.
fn fit(text: &str, style: Style, max_px: i32) -> String {
    if text_width(text, style) <= max_px {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if text_width(&candidate, style) <= max_px {
            return candidate;
        }
    }
    "…".into()
}

/// `text` shortened in the middle to at most `max_px` wide, keeping both ends (ids and
/// names differ at their ends: `…-team-7`, `…snap-0abc`).
fn fit_middle(text: &str, style: Style, max_px: i32) -> String {
    if text_width(text, style) <= max_px {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut keep = chars.len().saturating_sub(1);
    while keep > 1 {
        let head = keep.div_ceil(2);
        let tail = keep - head;
        let candidate: String = chars[..head]
            .iter()
            .chain(std::iter::once(&'…'))
            .chain(&chars[chars.len() - tail..])
            .collect();
        if text_width(&candidate, style) <= max_px {
            return candidate;
        }
        keep -= 1;
    }
    "…".into()
}

/// `main (aside)` in at most `max_px`: the aside gets up to two fifths, the rest goes to
/// `main`; each is shortened in the middle.
fn pair_label(main: &str, aside: &str, style: Style, max_px: i32) -> String {
    let full = format!("{main} ({aside})");
    if text_width(&full, style) <= max_px {
        return full;
    }
    let aside = fit_middle(aside, style, max_px * 2 / 5);
    let rest = max_px - text_width(&format!(" ({aside})"), style);
    format!("{} ({aside})", fit_middle(main, style, rest))
}

/// Draws `text` anchored at `at`; `upright` false turns it to read bottom to top (a y-axis
/// title), the anchor then applying along the turned line.
fn draw_text(
    area: &Area,
    text: &str,
    at: (i32, i32),
    style: Style,
    (h, v): (H, V),
    upright: bool,
) -> DrawResult {
    let (glyphs, width) = layout(text, style);
    let font = style.font();
    let scale = PxScale::from(style.size);
    let dx = match h {
        H::Left => 0.0,
        H::Center => -width / 2.0,
        H::Right => -width,
    };
    let cap = cap_height(style);
    let baseline = match v {
        V::Top => cap,
        V::Center => cap / 2.0,
        V::Baseline => 0.0,
    };
    let mut pixels: Vec<((i32, i32), f32)> = Vec::new();
    for (id, caret) in glyphs {
        let glyph = id.with_scale_and_position(scale, point(caret + dx, baseline));
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        let (bx, by) = (bounds.min.x as i32, bounds.min.y as i32);
        outline.draw(|gx, gy, coverage| {
            if coverage > 0.0 {
                let (lx, ly) = (bx + gx as i32, by + gy as i32);
                let p = if upright {
                    (at.0 + lx, at.1 + ly)
                } else {
                    (at.0 + ly, at.1 - lx)
                };
                pixels.push((p, coverage.min(1.0)));
            }
        });
    }
    for (p, coverage) in pixels {
        area.draw_pixel(p, &style.color.mix(coverage as f64))?;
    }
    Ok(())
}

fn text(area: &Area, text: &str, at: (i32, i32), style: Style, anchor: (H, V)) -> DrawResult {
    draw_text(area, text, at, style, anchor, true)
}

/// Formats a tick value given the step between ticks, so every label of an axis has the same
/// number of decimals.
type Fmt = dyn Fn(f64, f64) -> String;

/// Money for axis ticks: `1,250` when the step is whole, else `2.50`.
fn tick_money(v: f64, step: f64) -> String {
    let text = money(v);
    if step >= 1.0 - 1e-9 {
        text.strip_suffix(".00").map(String::from).unwrap_or(text)
    } else {
        text
    }
}

fn step_of(ticks: &[f64]) -> f64 {
    match ticks {
        [a, b, ..] => b - a,
        _ => 1.0,
    }
}

// ---------------------------------------------------------------------------------------------
// Frame, legend, axes

#[derive(Clone, Copy)]
enum Swatch {
    Box,
    Line,
    Dashed,
    Marker,
}

struct Legend {
    text: String,
    color: RGBColor,
    swatch: Swatch,
}

fn legend(text: impl Into<String>, color: RGBColor, swatch: Swatch) -> Legend {
    Legend {
        text: text.into(),
        color,
        swatch,
    }
}

const LEGEND_LINE: i32 = 28;
const SWATCH: i32 = 28;

/// Lays legend items out left to right, wrapping; returns each item's top-left and the height.
fn legend_layout(items: &[Legend], width: i32) -> (Vec<(i32, i32)>, i32) {
    let mut at = Vec::with_capacity(items.len());
    let (mut x, mut y) = (0, 0);
    for item in items {
        let w = SWATCH + 8 + text_width(&item.text, plain(LABEL_SIZE)) + 30;
        if x > 0 && x + w > width {
            x = 0;
            y += LEGEND_LINE;
        }
        at.push((x, y));
        x += w;
    }
    let height = if items.is_empty() { 0 } else { y + LEGEND_LINE };
    (at, height)
}

fn draw_legend(area: &Area, items: &[Legend], origin: (i32, i32), width: i32) -> DrawResult {
    let (at, _) = legend_layout(items, width);
    for (item, (x, y)) in items.iter().zip(at) {
        let (x, y) = (origin.0 + x, origin.1 + y);
        let mid = y + LEGEND_LINE / 2;
        match item.swatch {
            Swatch::Box => {
                area.draw(&Rectangle::new(
                    [(x + 5, mid - 9), (x + 23, mid + 9)],
                    item.color.filled(),
                ))?;
            }
            Swatch::Line => {
                area.draw(&PathElement::new(
                    vec![(x, mid), (x + SWATCH, mid)],
                    item.color.stroke_width(3),
                ))?;
            }
            Swatch::Dashed => {
                area.draw(&DashedPathElement::new(
                    vec![(x, mid), (x + SWATCH, mid)],
                    6,
                    5,
                    item.color.stroke_width(3),
                ))?;
            }
            Swatch::Marker => {
                area.draw(&Circle::new((x + SWATCH / 2, mid), 7, item.color.filled()))?;
                area.draw(&Circle::new((x + SWATCH / 2, mid), 7, INK.stroke_width(2)))?;
            }
        }
        text(
            area,
            &item.text,
            (x + SWATCH + 8, mid),
            plain(LABEL_SIZE),
            (H::Left, V::Center),
        )?;
    }
    Ok(())
}

/// Title, subtitle and legend across the top; returns the area left for the plot.
fn frame<'a>(
    root: &Area<'a>,
    title: &str,
    subtitle: &str,
    items: &[Legend],
) -> DrawResult<Area<'a>> {
    let width = WIDTH as i32 - 2 * LEFT;
    text(
        root,
        &fit(title, strong(TITLE_SIZE), width),
        (LEFT, 20),
        strong(TITLE_SIZE),
        (H::Left, V::Top),
    )?;
    text(
        root,
        &fit(subtitle, plain(SUBTITLE_SIZE), width),
        (LEFT, 62),
        plain(SUBTITLE_SIZE).color(MUTED),
        (H::Left, V::Top),
    )?;
    let mut top = 92;
    if !items.is_empty() {
        draw_legend(root, items, (LEFT, top), width)?;
        top += legend_layout(items, width).1;
    }
    let (_, body) = root.split_vertically(top + 8);
    Ok(body)
}

/// The whole body as a grey panel with a centred message: the chart of an empty table.
fn no_data(body: &Area, reason: &str) -> DrawResult {
    let inner = body.margin(10, 30, LEFT, LEFT);
    inner.fill(&PANEL)?;
    let (w, h) = inner.dim_in_pixel();
    let (cx, cy) = (w as i32 / 2, h as i32 / 2);
    text(
        &inner,
        "No data",
        (cx, cy - 24),
        strong(26.0).color(MUTED),
        (H::Center, V::Center),
    )?;
    text(
        &inner,
        &fit(reason, plain(LABEL_SIZE + 1.0), w as i32 - 40),
        (cx, cy + 18),
        plain(LABEL_SIZE + 1.0).color(MUTED),
        (H::Center, V::Center),
    )
}

/// Draws `draw` on a white 1200×700 canvas and returns the PNG.
fn render(draw: impl FnOnce(&Area) -> DrawResult) -> Result<Vec<u8>> {
    let mut pixels = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root).map_err(|e| chart_error(e.to_string()))?;
        root.present().map_err(|e| chart_error(e.to_string()))?;
    }
    encode_png(&pixels, WIDTH, HEIGHT)
}

fn chart_error(message: String) -> Error {
    Error::Io {
        context: "drawing a chart".into(),
        source: std::io::Error::other(message),
    }
}

/// 8-bit RGB PNG with only the chunks the image needs: the same pixels give the same bytes.
pub fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Balanced);
        let mut writer = encoder
            .write_header()
            .map_err(|e| chart_error(format!("encoding PNG: {e}")))?;
        writer
            .write_image_data(rgb)
            .map_err(|e| chart_error(format!("encoding PNG: {e}")))?;
        writer
            .finish()
            .map_err(|e| chart_error(format!("encoding PNG: {e}")))?;
    }
    Ok(out)
}

/// Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten.
fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let span = hi - lo;
    if span.is_nan() || span <= 0.0 || !span.is_finite() {
        return vec![lo];
    }
    let raw = span / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = magnitude
        * match raw / magnitude {
            r if r < 1.5 => 1.0,
            r if r < 3.0 => 2.0,
            r if r < 7.0 => 5.0,
            _ => 10.0,
        };
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// A plot area with the given label room on the left and below.
fn plot<'a, 'b>(
    body: &'a Area<'b>,
    x: Range<f64>,
    y: Range<f64>,
    left: i32,
    bottom: i32,
) -> DrawResult<Chart<'a, 'b>> {
    Ok(ChartBuilder::on(body)
        .margin_left(LEFT)
        .margin_right(LEFT + 6)
        .margin_top(6)
        .margin_bottom(10)
        .x_label_area_size(bottom)
        .y_label_area_size(left)
        .build_cartesian_2d(x, y)?)
}

/// Ticks for a vertical axis `height` px tall: the round step whose tick count is nearest one
/// per 60 px, with at least three ticks when any step gives them.
fn y_ticks(range: &Range<f64>, height: f64) -> Vec<f64> {
    let ideal = height / 60.0;
    (2..=16)
        .map(|t| nice_ticks(range.start, range.end, t))
        .min_by(|a, b| {
            let score = |t: &Vec<f64>| {
                (
                    t.len() < 3,
                    ((t.len() as f64 - ideal).abs() * 100.0) as i64,
                    t.len(),
                )
            };
            score(a).cmp(&score(b))
        })
        .unwrap_or_default()
}

/// The room the left axis needs: tick labels, a gap and the turned title.
fn y_room(fmt: &Fmt, lo: f64, hi: f64) -> i32 {
    let widest = (2..=10)
        .flat_map(|t| {
            let ticks = nice_ticks(lo, hi, t);
            let step = step_of(&ticks);
            ticks.into_iter().map(move |v| fmt(v, step))
        })
        .map(|l| text_width(&l, plain(LABEL_SIZE)))
        .max()
        .unwrap_or(0);
    widest + 9 + 14 + LABEL_SIZE as i32 + 4
}

/// The value axis on the left: grid lines, tick labels and the turned title.
fn y_axis(root: &Area, chart: &Chart, fmt: &Fmt, title: &str) -> DrawResult {
    let range = chart.y_range();
    let x0 = chart.x_range().start;
    let (top, bottom) = (
        chart.backend_coord(&(x0, range.end)).1,
        chart.backend_coord(&(x0, range.start)).1,
    );
    let left = chart.backend_coord(&(x0, 0.0)).0;
    let right = chart.backend_coord(&(chart.x_range().end, 0.0)).0;
    let mut widest = 0;
    let ticks = y_ticks(&range, (bottom - top).max(1) as f64);
    let step = step_of(&ticks);
    for v in ticks {
        let y = chart.backend_coord(&(x0, v)).1;
        let label = fmt(v, step);
        widest = widest.max(text_width(&label, plain(LABEL_SIZE)));
        root.draw(&PathElement::new(vec![(left, y), (right, y)], GRID))?;
        root.draw(&PathElement::new(vec![(left - 5, y), (left, y)], INK))?;
        text(
            root,
            &label,
            (left - 9, y),
            plain(LABEL_SIZE),
            (H::Right, V::Center),
        )?;
    }
    let title = fit(title, plain(LABEL_SIZE), bottom - top);
    draw_text(
        root,
        &title,
        (
            left - 9 - widest - 14 - LABEL_SIZE as i32,
            (top + bottom) / 2,
        ),
        plain(LABEL_SIZE),
        (H::Center, V::Top),
        false,
    )
}

/// The value axis below: grid lines, tick labels spaced so they never touch, and the title.
/// Ticks past `cap` (100% for shares) are left out.
fn x_axis(root: &Area, chart: &Chart, fmt: &Fmt, title: &str, cap: Option<f64>) -> DrawResult {
    let range = chart.x_range();
    let top = chart.backend_coord(&(range.start, chart.y_range().end)).1;
    let bottom = chart.backend_coord(&(range.start, chart.y_range().start)).1;
    let (left, right) = (
        chart.backend_coord(&(range.start, 0.0)).0,
        chart.backend_coord(&(range.end, 0.0)).0,
    );
    let width = (right - left).max(1) as f64;
    let mut ticks = vec![];
    for target in (2..=10).rev() {
        ticks = nice_ticks(range.start, range.end, target);
        ticks.retain(|v| cap.is_none_or(|c| *v <= c + 1e-9));
        let widest = ticks
            .iter()
            .map(|v| text_width(&fmt(*v, step_of(&ticks)), plain(LABEL_SIZE)))
            .max()
            .unwrap_or(0) as f64;
        let pitch = if ticks.len() > 1 {
            (ticks[1] - ticks[0]) / (range.end - range.start) * width
        } else {
            width
        };
        if pitch >= widest + 18.0 {
            break;
        }
    }
    let step = step_of(&ticks);
    for v in ticks {
        // Only the x pixel is used; the y value must be in the chart's y range, or plotters'
        // pixel arithmetic overflows (a large credit put range.start far below it).
        let x = chart.backend_coord(&(v, chart.y_range().start)).0;
        root.draw(&PathElement::new(vec![(x, top), (x, bottom)], GRID))?;
        root.draw(&PathElement::new(vec![(x, bottom), (x, bottom + 5)], INK))?;
        text(
            root,
            &fmt(v, step),
            (x, bottom + 10),
            plain(LABEL_SIZE),
            (H::Center, V::Top),
        )?;
    }
    x_title(root, chart, title)
}

fn x_title(root: &Area, chart: &Chart, title: &str) -> DrawResult {
    let range = chart.x_range();
    let bottom = chart.backend_coord(&(range.start, chart.y_range().start)).1;
    let (left, right) = (
        chart.backend_coord(&(range.start, 0.0)).0,
        chart.backend_coord(&(range.end, 0.0)).0,
    );
    text(
        root,
        title,
        ((left + right) / 2, bottom + 42),
        plain(LABEL_SIZE),
        (H::Center, V::Top),
    )
}

/// The two axis lines, drawn over the data.
fn axis_lines(root: &Area, chart: &Chart) -> DrawResult {
    let (x, y) = (chart.x_range(), chart.y_range());
    let corner = chart.backend_coord(&(x.start, y.start));
    let top = chart.backend_coord(&(x.start, y.end));
    let right = chart.backend_coord(&(x.end, y.start));
    root.draw(&PathElement::new(
        vec![top, corner, right],
        INK.stroke_width(1),
    ))?;
    Ok(())
}

/// `[lo, hi]` widened to include 0 and given headroom, never empty.
fn value_range(lo: f64, hi: f64, headroom: f64) -> (f64, f64) {
    let lo = lo.min(0.0);
    let hi = hi.max(0.0);
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    (
        if lo < 0.0 { lo - span * headroom } else { 0.0 },
        hi + span * headroom,
    )
}

fn account_label(a: &Analysis, id: &str) -> String {
    if id.is_empty() {
        return "(no account)".into();
    }
    match a
        .by_account
        .iter()
        .find(|l| l.name == id)
        .and_then(|l| l.label.as_deref())
    {
        Some(name) if !name.is_empty() => pair_label(name, id, plain(LABEL_SIZE), MAX_ROW_LABEL),
        _ => fit_middle(id, plain(LABEL_SIZE), MAX_ROW_LABEL),
    }
}

fn day_label(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%b %-d").to_string())
        .unwrap_or_default()
}

/// The days of the period, as epoch milliseconds at midnight UTC.
fn period_days(a: &Analysis) -> Vec<i64> {
    let start = a.period.start.div_euclid(DAY_MS) * DAY_MS;
    (0..)
        .map(|i| start + i * DAY_MS)
        .take_while(|d| *d < a.period.end)
        .collect()
}

/// Daily EffectiveCost stacked by the top services plus "other"; credits and refunds stack
/// below zero.
pub fn daily_cost(a: &Analysis) -> Result<Vec<u8>> {
    const TOP: usize = 6;
    let days = period_days(a);
    // Services that have any cost on some day, biggest first (by_service is ranked).
    let active: Vec<&str> = a
        .by_service
        .iter()
        .map(|l| l.name.as_str())
        .filter(|s| {
            a.daily
                .iter()
                .any(|d| d.service == *s && !d.effective.is_zero())
        })
        .collect();
    let (shown, rest): (Vec<&str>, Vec<&str>) = if active.len() <= TOP + 1 {
        (active.clone(), vec![])
    } else {
        (active[..TOP].to_vec(), active[TOP..].to_vec())
    };
    let mut series: Vec<(String, RGBColor)> = shown
        .iter()
        .enumerate()
        .map(|(i, s)| (s.to_string(), SERIES[i % SERIES.len()]))
        .collect();
    if !rest.is_empty() {
        series.push((format!("other ({} services)", rest.len()), GREY));
    }
    // values[day][series] = (positive part, negative part): a credit in "other" stacks below
    // zero instead of netting against the small services it is grouped with.
    let mut values = vec![vec![(0.0, 0.0); series.len()]; days.len()];
    for d in &a.daily {
        let Some(day) = days.iter().position(|x| *x == d.day) else {
            continue;
        };
        let slot = shown
            .iter()
            .position(|s| *s == d.service)
            .unwrap_or(series.len().saturating_sub(1));
        if let Some(v) = values[day].get_mut(slot) {
            let effective = d.effective.to_f64();
            if effective >= 0.0 {
                v.0 += effective;
            } else {
                v.1 += effective;
            }
        }
    }
    let stacks: Vec<(f64, f64)> = values
        .iter()
        .map(|v| {
            let up: f64 = v.iter().map(|x| x.0).sum();
            let down: f64 = v.iter().map(|x| x.1).sum();
            (down, up)
        })
        .collect();
    let cur = a.currency.clone();
    let title = format!("Daily cost by service, {}", a.period.label);
    let subtitle = format!(
        "EffectiveCost (amortised) per day in {cur}; top services plus other; credits below zero. Total {} {cur}{}",
        money(a.totals.effective),
        if a.partial { " (partial month)" } else { "" }
    );
    let items: Vec<Legend> = series
        .iter()
        .map(|(name, c)| legend(name.clone(), *c, Swatch::Box))
        .collect();
    render(|root| {
        let body = frame(root, &title, &subtitle, &items)?;
        if series.is_empty() || days.is_empty() {
            return no_data(&body, "no cost in the period");
        }
        let lo = stacks.iter().map(|s| s.0).fold(0.0, f64::min);
        let hi = stacks.iter().map(|s| s.1).fold(0.0, f64::max);
        let (y0, y1) = value_range(lo, hi, 0.05);
        let n = days.len() as f64;
        let chart = plot(&body, 0.0..n, y0..y1, y_room(&tick_money, y0, y1), 72)?;
        y_axis(root, &chart, &tick_money, &format!("Cost per day ({cur})"))?;
        for (i, v) in values.iter().enumerate() {
            let (mut up, mut down) = (0.0, 0.0);
            let parts = v
                .iter()
                .enumerate()
                .flat_map(|(j, (pos, neg))| [(j, *pos), (j, *neg)]);
            for (j, x) in parts {
                if x == 0.0 {
                    continue;
                }
                let (from, to) = if x > 0.0 {
                    up += x;
                    (up - x, up)
                } else {
                    down += x;
                    (down - x, down)
                };
                let (l, r) = (i as f64 + 0.12, i as f64 + 0.88);
                root.draw(&Rectangle::new(
                    [
                        chart.backend_coord(&(l, to)),
                        chart.backend_coord(&(r, from)),
                    ],
                    series[j].1.filled(),
                ))?;
            }
        }
        if lo < 0.0 {
            root.draw(&PathElement::new(
                vec![
                    chart.backend_coord(&(0.0, 0.0)),
                    chart.backend_coord(&(n, 0.0)),
                ],
                INK,
            ))?;
        }
        axis_lines(root, &chart)?;
        // Day labels, every k-th day so they never touch.
        let pitch =
            (chart.backend_coord(&(1.0, 0.0)).0 - chart.backend_coord(&(0.0, 0.0)).0).max(1) as f64;
        let widest = days
            .iter()
            .map(|d| text_width(&day_label(*d), plain(LABEL_SIZE)))
            .max()
            .unwrap_or(0) as f64;
        let step = [1usize, 2, 3, 7, 14, 28, 56, 91, 182, 364]
            .into_iter()
            .find(|k| *k as f64 * pitch >= widest + 16.0)
            .unwrap_or(365);
        let base = chart.backend_coord(&(0.0, y0)).1;
        for (i, d) in days.iter().enumerate().step_by(step) {
            let x = chart.backend_coord(&(i as f64 + 0.5, y0)).0;
            root.draw(&PathElement::new(vec![(x, base), (x, base + 5)], INK))?;
            text(
                root,
                &day_label(*d),
                (x, base + 10),
                plain(LABEL_SIZE),
                (H::Center, V::Top),
            )?;
        }
        x_title(root, &chart, "Day (UTC)")
    })
}

/// Effective cost per month, the months seen so far (the data's, and earlier reports'), with
/// a partial month's forecast to its end stacked on what it cost so far.
pub fn monthly_trend(a: &Analysis) -> Result<Vec<u8>> {
    let cur = a.currency.clone();
    let months = &a.trends.months;
    let title = format!("Effective cost per month, to {}", a.period.label);
    let subtitle = format!(
        "{} month{} seen so far, from the data and the earlier reports in the output folder; in {cur}",
        months.len(),
        if months.len() == 1 { "" } else { "s" }
    );
    let mut items = vec![legend("from the data", BLUE, Swatch::Box)];
    if months.iter().any(|m| m.from_report) {
        items.push(legend("from that month's report", SKY, Swatch::Box));
    }
    if months.iter().any(|m| m.forecast.is_some()) {
        items.push(legend("forecast to the month's end", GREY, Swatch::Box));
    }
    render(|root| {
        let body = frame(root, &title, &subtitle, &items)?;
        if months.is_empty() {
            return no_data(
                &body,
                "the period is not a calendar month and no month came before it",
            );
        }
        let top_of = |m: &crate::analyse::trends::MonthTotal| m.forecast.unwrap_or(m.effective);
        let hi = months.iter().map(top_of).fold(0.0, f64::max);
        let lo = months.iter().map(|m| m.effective).fold(0.0, f64::min);
        let (y0, y1) = value_range(lo, hi, 0.12);
        let n = months.len() as f64;
        let chart = plot(&body, 0.0..n, y0..y1, y_room(&tick_money, y0, y1), 64)?;
        y_axis(
            root,
            &chart,
            &tick_money,
            &format!("Effective cost ({cur})"),
        )?;
        let base = chart.backend_coord(&(0.0, y0)).1;
        for (i, m) in months.iter().enumerate() {
            let (l, r) = (i as f64 + 0.18, i as f64 + 0.82);
            let colour = if m.from_report { SKY } else { BLUE };
            root.draw(&Rectangle::new(
                [
                    chart.backend_coord(&(l, m.effective)),
                    chart.backend_coord(&(r, 0.0)),
                ],
                colour.filled(),
            ))?;
            if let Some(f) = m.forecast.filter(|f| *f > m.effective) {
                root.draw(&Rectangle::new(
                    [
                        chart.backend_coord(&(l, f)),
                        chart.backend_coord(&(r, m.effective)),
                    ],
                    GREY.mix(0.55).filled(),
                ))?;
            }
            let top = chart.backend_coord(&(i as f64 + 0.5, top_of(m).max(0.0)));
            text(
                root,
                &tick_money(top_of(m), 1.0),
                (top.0, top.1 - 8),
                plain(VALUE_SIZE),
                (H::Center, V::Baseline),
            )?;
            text(
                root,
                &m.label,
                (top.0, base + 10),
                strong(LABEL_SIZE),
                (H::Center, V::Top),
            )?;
        }
        axis_lines(root, &chart)?;
        x_title(root, &chart, "Month (UTC)")
    })
}

/// One bar of a horizontal bar chart.
struct Bar {
    value: Option<f64>,
    color: RGBColor,
    text: String,
}

struct Row {
    label: String,
    bars: Vec<Bar>,
}

struct HBars<'s> {
    rows: Vec<Row>,
    x_desc: String,
    x_fmt: &'s Fmt,
    /// The x axis never goes past this (percentages stop at 100).
    x_cap: Option<f64>,
    /// A vertical reference line (a gate threshold).
    reference: Option<(f64, RGBColor)>,
}

const MAX_ROW_LABEL: i32 = 400;

/// Horizontal bars, one row per category, several bars per row; each bar's value written at
/// its end. The x range is stretched so the longest value text fits inside the plot.
fn hbars(root: &Area, body: &Area, spec: &HBars) -> DrawResult {
    let labels: Vec<String> = spec
        .rows
        .iter()
        .map(|r| fit_middle(&r.label, plain(LABEL_SIZE), MAX_ROW_LABEL))
        .collect();
    let label_w = labels
        .iter()
        .map(|l| text_width(l, plain(LABEL_SIZE)))
        .max()
        .unwrap_or(0);
    let y_area = label_w + 16;
    let (body_w, _) = body.dim_in_pixel();
    let plot_w = (body_w as i32 - y_area - 2 * LEFT - 6).max(100) as f64;
    let bars = || spec.rows.iter().flat_map(|r| r.bars.iter());
    let lo = bars().filter_map(|b| b.value).fold(0.0, f64::min);
    let hi = bars().filter_map(|b| b.value).fold(0.0, f64::max);
    let mut span = (hi - lo).max(f64::MIN_POSITIVE);
    if let Some(cap) = spec.x_cap {
        span = span.max(cap - lo);
    }
    // Each bar needs (v − lo)/span·plot_w + gap + text ≤ plot_w.
    for b in bars() {
        let v = b.value.unwrap_or(0.0).max(0.0);
        let room = plot_w - text_width(&b.text, plain(VALUE_SIZE)) as f64 - 16.0;
        if room > 10.0 {
            span = span.max((v - lo) * plot_w / room);
        }
    }
    let (x0, x1) = (lo, lo + span);
    let n = spec.rows.len() as f64;
    let chart = plot(body, x0..x1, 0.0..n, y_area, 72)?;
    x_axis(root, &chart, spec.x_fmt, &spec.x_desc, spec.x_cap)?;
    let mut values = Vec::new();
    for (i, row) in spec.rows.iter().enumerate() {
        // Row i from the top occupies [n−i−1, n−i].
        let top = n - i as f64 - 0.14;
        let bottom = n - i as f64 - 0.86;
        let k = row.bars.len().max(1) as f64;
        let h = (top - bottom) / k;
        for (j, bar) in row.bars.iter().enumerate() {
            let b_top = top - j as f64 * h;
            let b_bottom = b_top - h * 0.9;
            let v = bar.value.unwrap_or(0.0);
            if v != 0.0 {
                root.draw(&Rectangle::new(
                    [
                        chart.backend_coord(&(0f64.max(x0), b_top)),
                        chart.backend_coord(&(v, b_bottom)),
                    ],
                    bar.color.filled(),
                ))?;
            }
            let end = chart.backend_coord(&(v.max(0.0), (b_top + b_bottom) / 2.0));
            values.push((&bar.text, (end.0 + 7, end.1)));
        }
        let at = chart.backend_coord(&(x0, n - i as f64 - 0.5));
        text(
            root,
            &labels[i],
            (at.0 - 10, at.1),
            plain(LABEL_SIZE),
            (H::Right, V::Center),
        )?;
    }
    if let Some((x, color)) = spec.reference {
        root.draw(&DashedPathElement::new(
            vec![chart.backend_coord(&(x, n)), chart.backend_coord(&(x, 0.0))],
            7,
            5,
            color.stroke_width(2),
        ))?;
    }
    if lo < 0.0 {
        root.draw(&PathElement::new(
            vec![
                chart.backend_coord(&(0.0, 0.0)),
                chart.backend_coord(&(0.0, n)),
            ],
            INK,
        ))?;
    }
    // Value labels last, on a white ground so a reference line never runs through one.
    let half = (cap_height(plain(VALUE_SIZE)) / 2.0).ceil() as i32 + 3;
    for (label, (x, y)) in values {
        let w = text_width(label, plain(VALUE_SIZE));
        root.draw(&Rectangle::new(
            [(x - 3, y - half), (x + w + 3, y + half)],
            WHITE.filled(),
        ))?;
        text(root, label, (x, y), plain(VALUE_SIZE), (H::Left, V::Center))?;
    }
    axis_lines(root, &chart)
}

/// EffectiveCost per account (the largest 15; the rest summed as "other").
pub fn cost_by_account(a: &Analysis) -> Result<Vec<u8>> {
    const TOP: usize = 15;
    let cur = a.currency.clone();
    let mut rows: Vec<Row> = a
        .by_account
        .iter()
        .take(if a.by_account.len() > TOP {
            TOP - 1
        } else {
            TOP
        })
        .map(|l| Row {
            label: account_label(a, &l.name),
            bars: vec![Bar {
                value: Some(l.effective.to_f64()),
                color: BLUE,
                text: format!("{} {cur}", money(l.effective)),
            }],
        })
        .collect();
    if a.by_account.len() > TOP {
        let rest = &a.by_account[TOP - 1..];
        let sum: Money = rest.iter().map(|l| l.effective).sum();
        rows.push(Row {
            label: format!("other ({} accounts)", rest.len()),
            bars: vec![Bar {
                value: Some(sum.to_f64()),
                color: GREY,
                text: format!("{} {cur}", money(sum)),
            }],
        });
    }
    let title = format!("Cost by account, {}", a.period.label);
    let subtitle = format!(
        "EffectiveCost (amortised) in {cur}; {} accounts, total {} {cur}",
        a.by_account.len(),
        money(a.totals.effective)
    );
    let fmt = tick_money;
    render(|root| {
        let body = frame(root, &title, &subtitle, &[])?;
        if rows.is_empty() {
            return no_data(&body, "no cost in the period");
        }
        hbars(
            root,
            &body,
            &HBars {
                rows,
                x_desc: format!("EffectiveCost ({cur})"),
                x_fmt: &fmt,
                x_cap: None,
                reference: None,
            },
        )
    })
}

/// Spend-weighted tag coverage per required key and for all keys together: all accounts,
/// then the accounts with the most taggable cost.
pub fn tag_coverage(a: &Analysis) -> Result<Vec<u8>> {
    let al = &a.allocation;
    let mut keys: Vec<&str> = Vec::new();
    for c in al.coverage.iter().filter(|c| c.scope == "total") {
        if !keys.contains(&c.key.as_str()) {
            keys.push(&c.key);
        }
    }
    // Required keys first (at most 5 shown), then the all-keys bar.
    keys.sort_by_key(|k| *k == ALL_REQUIRED);
    let all_keys = keys.len();
    if keys.len() > 6 {
        keys.drain(5..keys.len() - 1);
    }
    let color_of = |key: &str, i: usize| {
        if key == ALL_REQUIRED {
            BLUE
        } else {
            [ORANGE, GREEN, SKY, PURPLE, VERMILLION][i % 5]
        }
    };
    let name_of = |key: &str| {
        if key == ALL_REQUIRED {
            "all required keys".to_string()
        } else {
            key.to_string()
        }
    };
    let row_of = |label: String, scope: &str, value: &str| Row {
        label,
        bars: keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let coverage = al
                    .coverage
                    .iter()
                    .find(|c| c.scope == scope && c.scope_value == value && c.key == *k)
                    .and_then(|c| c.coverage_pct);
                Bar {
                    value: coverage,
                    color: color_of(k, i),
                    text: pct(coverage),
                }
            })
            .collect(),
    };
    // Bars at least 18 px thick: how many rows fit.
    let per_row = keys.len().max(1) as f64 * 18.0 / 0.72;
    let fit_rows = ((HEIGHT as f64 - 200.0) / per_row).floor().max(2.0) as usize;
    let mut accounts: Vec<(&str, f64)> = al
        .coverage
        .iter()
        .filter(|c| c.scope == "account" && c.key == ALL_REQUIRED)
        .map(|c| (c.scope_value.as_str(), c.taggable_cost))
        .collect();
    accounts.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(y.0)));
    let total_accounts = accounts.len();
    accounts.truncate(fit_rows - 1);
    let mut rows = vec![row_of("All accounts".into(), "total", "")];
    rows.extend(
        accounts
            .iter()
            .map(|(id, _)| row_of(account_label(a, id), "account", id)),
    );
    let gate = a
        .gates
        .iter()
        .find(|g| g.name == "min_tag_coverage_pct")
        .map(|g| g.threshold);
    let mut items: Vec<Legend> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| legend(name_of(k), color_of(k, i), Swatch::Box))
        .collect();
    if let Some(t) = gate {
        items.push(legend(
            format!("minimum (policy gate) {t}%"),
            INK,
            Swatch::Dashed,
        ));
    }
    let title = format!("Tag coverage, {}", a.period.label);
    let subtitle = format!(
        "Share of taggable EffectiveCost carrying each required key with an accepted value; {}{}",
        if total_accounts > accounts.len() {
            format!(
                "the {} of {total_accounts} accounts with most taggable cost",
                accounts.len()
            )
        } else {
            "per account".into()
        },
        if all_keys > keys.len() {
            format!(" ({} of {} keys shown)", keys.len() - 1, all_keys - 1)
        } else {
            String::new()
        }
    );
    let fmt = |v: f64, _: f64| format!("{v:.0}%");
    render(|root| {
        let body = frame(root, &title, &subtitle, &items)?;
        if keys.is_empty() {
            return no_data(
                &body,
                "no required tag keys are configured ([tags] required in the configuration)",
            );
        }
        hbars(
            root,
            &body,
            &HBars {
                rows,
                x_desc: "Coverage (% of taggable EffectiveCost)".into(),
                x_fmt: &fmt,
                x_cap: Some(100.0),
                reference: gate.map(|t| (t, INK)),
            },
        )
    })
}

/// The short form of a resource id: the last part of an ARN.
fn short_resource(id: &str) -> &str {
    if id.starts_with("arn:") {
        id.rsplit(['/', ':']).find(|s| !s.is_empty()).unwrap_or(id)
    } else {
        id
    }
}

/// The untagged (or wrongly tagged) resources with the most cost.
pub fn untagged_top(a: &Analysis) -> Result<Vec<u8>> {
    const TOP: usize = 15;
    let cur = a.currency.clone();
    let mut list: Vec<_> = a.allocation.untagged.iter().collect();
    list.sort_by(|x, y| {
        y.cost
            .total_cmp(&x.cost)
            .then_with(|| x.resource_id.cmp(&y.resource_id))
    });
    let total = list.len();
    let total_cost: f64 = list.iter().map(|u| u.cost).sum();
    list.truncate(TOP);
    let rows: Vec<Row> = list
        .iter()
        .map(|u| {
            // The account's name, else its id.
            let account = u.account.as_deref().map(|id| {
                a.by_account
                    .iter()
                    .find(|l| l.name == id)
                    .and_then(|l| l.label.as_deref())
                    .filter(|name| !name.is_empty())
                    .unwrap_or(id)
            });
            let id = short_resource(&u.resource_id);
            Row {
                label: match account {
                    Some(acc) => pair_label(id, acc, plain(LABEL_SIZE), MAX_ROW_LABEL),
                    None => fit_middle(id, plain(LABEL_SIZE), MAX_ROW_LABEL),
                },
                bars: vec![Bar {
                    value: Some(u.cost),
                    color: if u.missing_keys.is_empty() {
                        BLUE
                    } else {
                        VERMILLION
                    },
                    text: format!("{} {cur}", money(u.cost)),
                }],
            }
        })
        .collect();
    let title = format!("Top untagged resources by cost, {}", a.period.label);
    let subtitle = format!(
        "EffectiveCost in {cur}; {} of {total} resources lacking a required tag or an accepted value ({} {cur} in all)",
        rows.len(),
        money(total_cost)
    );
    let items = vec![
        legend("missing a required key", VERMILLION, Swatch::Box),
        legend(
            "has every key, but a value the policy does not accept",
            BLUE,
            Swatch::Box,
        ),
    ];
    let fmt = tick_money;
    render(|root| {
        let body = frame(
            root,
            &title,
            &subtitle,
            if rows.is_empty() { &[] } else { &items },
        )?;
        if rows.is_empty() {
            return no_data(
                &body,
                "every taggable resource carries the required tags (or none are required)",
            );
        }
        hbars(
            root,
            &body,
            &HBars {
                rows,
                x_desc: format!("EffectiveCost ({cur})"),
                x_fmt: &fmt,
                x_cap: None,
                reference: None,
            },
        )
    })
}

/// Potential saving per month by finding category, each dollar counted once.
pub fn savings_by_category(a: &Analysis) -> Result<Vec<u8>> {
    let cur = a.currency.clone();
    let cats: Vec<(Category, f64, usize)> = Category::ALL
        .iter()
        .map(|c| {
            (
                *c,
                a.savings.by_category.get(c).copied().unwrap_or(0.0),
                a.findings.iter().filter(|f| f.category == *c).count(),
            )
        })
        .collect();
    let colors = [GREEN, BLUE, ORANGE, VERMILLION, PURPLE];
    let title = format!(
        "Potential savings per month by category, {}",
        a.period.label
    );
    let subtitle = format!(
        "{} {cur} per month in all; each dollar counted once (overlapping findings on one resource count the largest)",
        money(a.savings.total_monthly)
    );
    render(|root| {
        let body = frame(root, &title, &subtitle, &[])?;
        if a.findings.is_empty() {
            return no_data(&body, "no findings in the period");
        }
        let hi = cats.iter().map(|c| c.1).fold(0.0, f64::max);
        let (y0, y1) = value_range(0.0, hi, 0.1);
        let n = cats.len() as f64;
        let chart = plot(&body, 0.0..n, y0..y1, y_room(&tick_money, y0, y1), 84)?;
        y_axis(
            root,
            &chart,
            &tick_money,
            &format!("Saving ({cur} per month)"),
        )?;
        let base = chart.backend_coord(&(0.0, y0)).1;
        for (i, (cat, saving, count)) in cats.iter().enumerate() {
            let (l, r) = (i as f64 + 0.2, i as f64 + 0.8);
            if *saving > 0.0 {
                root.draw(&Rectangle::new(
                    [
                        chart.backend_coord(&(l, *saving)),
                        chart.backend_coord(&(r, 0.0)),
                    ],
                    colors[i % colors.len()].filled(),
                ))?;
            }
            let top = chart.backend_coord(&(i as f64 + 0.5, saving.max(0.0)));
            text(
                root,
                &format!("{} {cur}", money(*saving)),
                (top.0, top.1 - 8),
                plain(VALUE_SIZE),
                (H::Center, V::Baseline),
            )?;
            text(
                root,
                cat.as_str(),
                (top.0, base + 10),
                strong(LABEL_SIZE),
                (H::Center, V::Top),
            )?;
            text(
                root,
                &format!("{count} finding{}", if *count == 1 { "" } else { "s" }),
                (top.0, base + 34),
                plain(LABEL_SIZE).color(MUTED),
                (H::Center, V::Top),
            )?;
        }
        axis_lines(root, &chart)?;
        let right = chart.backend_coord(&(n, 0.0)).0;
        let left = chart.backend_coord(&(0.0, 0.0)).0;
        text(
            root,
            "Finding category",
            ((left + right) / 2, base + 60),
            plain(LABEL_SIZE),
            (H::Center, V::Top),
        )
    })
}

/// Largest saving first; ties by scope and product so the order never depends on the input's.
fn ranked(mut list: Vec<&Sizing>) -> Vec<&Sizing> {
    list.sort_by(|x, y| {
        y.monthly_saving
            .total_cmp(&x.monthly_saving)
            .then_with(|| x.scope.cmp(&y.scope))
            .then_with(|| x.product.cmp(&y.product))
    });
    list
}

/// The curve continued to `x1`: past the largest hourly spend every hour is covered, so each
/// further unit of commitment per hour only costs its fee, (1 − discount) per hour.
fn extended(s: &Sizing, x1: f64) -> Vec<(f64, f64)> {
    let mut curve = s.curve.clone();
    if let Some(&(x, y)) = curve.last() {
        if x1 > x {
            let fee = (1.0 - s.discount_pct / 100.0) * HOURS_PER_MONTH;
            curve.push((x1, y - (x1 - x) * fee));
        }
    }
    curve
}

/// The part of a curve with x ≤ `x1`, ending exactly at `x1`.
fn clip_curve(curve: &[(f64, f64)], x1: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(curve.len());
    for w in curve.windows(2) {
        let ((xa, ya), (xb, yb)) = (w[0], w[1]);
        if xa > x1 {
            break;
        }
        out.push((xa, ya));
        if xb > x1 && xb > xa {
            out.push((x1, ya + (yb - ya) * (x1 - xa) / (xb - xa)));
        }
    }
    if let Some(last) = curve.last().filter(|p| p.0 <= x1) {
        out.push(*last);
    }
    out
}

/// S(c), the monthly saving of a commitment of c per hour, one panel per purchase: those the
/// total counts (the largest three) and the best alternative of another scope that it does
/// not count. Each panel shows c up to twice the chosen level, where the chosen level is
/// marked.
pub fn commitment_savings_curve(a: &Analysis) -> Result<Vec<u8>> {
    let cur = a.currency.clone();
    let usable = |s: &&Sizing| s.curve.len() > 1;
    let counted = ranked(
        a.rate
            .sizing
            .iter()
            .filter(usable)
            .filter(|s| s.counted)
            .collect(),
    );
    let uncounted = ranked(
        a.rate
            .sizing
            .iter()
            .filter(usable)
            .filter(|s| !s.counted && s.monthly_saving > 0.0)
            .collect(),
    );
    // The all-compute plan against per-family purchases (or back); with nothing counted, the
    // best purchase alone.
    let alternative = uncounted
        .iter()
        .find(|s| counted.iter().all(|c| c.scope != s.scope))
        .copied();
    let slots = if alternative.is_some() { 3 } else { 4 };
    let more = counted.len().saturating_sub(slots);
    let panels: Vec<(&Sizing, bool)> = counted
        .iter()
        .take(slots)
        .map(|s| (*s, true))
        .chain(alternative.map(|s| (s, false)))
        .collect();
    let items = vec![
        legend("S(c) of a purchase the total counts", BLUE, Swatch::Line),
        legend("an alternative it does not count", ORANGE, Swatch::Dashed),
        legend("chosen commitment", INK, Swatch::Marker),
    ];
    let title = format!("Commitment savings curves S(c), {}", a.period.label);
    let subtitle = format!(
        "S(c) = Σ over hours of [min(on-demand spend, c) − c·(1 − discount)], per month, in {cur}{}{}",
        if more > 0 {
            format!("; {more} more purchases in commitments.csv")
        } else {
            String::new()
        },
        if panels.iter().any(|(s, _)| s.approximate) {
            "; approximate (daily data)"
        } else {
            ""
        }
    );
    render(|root| {
        let body = frame(
            root,
            &title,
            &subtitle,
            if panels.is_empty() { &[] } else { &items },
        )?;
        if panels.is_empty() {
            return no_data(
                &body,
                "no on-demand compute spend that a commitment would save on",
            );
        }
        let grid = match panels.len() {
            1 => (1, 1),
            2 => (1, 2),
            _ => (2, 2),
        };
        let cells = body.split_evenly(grid);
        for ((s, is_counted), cell) in panels.iter().zip(cells.iter()) {
            let (w, _) = cell.dim_in_pixel();
            let color = if *is_counted { BLUE } else { ORANGE };
            let head = fit(&s.product, strong(LABEL_SIZE), w as i32 - 2 * LEFT);
            text(
                cell,
                &head,
                (LEFT, 4),
                strong(LABEL_SIZE),
                (H::Left, V::Top),
            )?;
            let detail = format!(
                "{}: {} {cur}/h saves {} {cur}/month{}",
                s.scope,
                money(s.hourly_commitment),
                money(s.monthly_saving),
                if *is_counted { "" } else { " (not counted)" }
            );
            text(
                cell,
                &fit(&detail, plain(LABEL_SIZE), w as i32 - 2 * LEFT),
                (LEFT, 26),
                plain(LABEL_SIZE).color(MUTED),
                (H::Left, V::Top),
            )?;
            let (_, panel) = cell.split_vertically(44);
            let x_hi = s.curve.iter().map(|p| p.0).fold(0.0, f64::max);
            let x1 = if s.hourly_commitment > 0.0 {
                2.0 * s.hourly_commitment
            } else {
                x_hi
            }
            .max(f64::MIN_POSITIVE);
            let curve = clip_curve(&extended(s, x1), x1);
            let y_lo = curve.iter().map(|p| p.1).fold(0.0, f64::min);
            let y_hi = curve.iter().map(|p| p.1).fold(0.0, f64::max);
            let (y0, y1) = value_range(y_lo, y_hi, 0.08);
            let chart = plot(&panel, 0.0..x1, y0..y1, y_room(&tick_money, y0, y1), 72)?;
            y_axis(root, &chart, &tick_money, &format!("{cur} per month"))?;
            x_axis(
                root,
                &chart,
                &tick_money,
                &format!("commitment ({cur} per hour, after the discount)"),
                None,
            )?;
            if y0 < 0.0 {
                root.draw(&PathElement::new(
                    vec![
                        chart.backend_coord(&(0.0, 0.0)),
                        chart.backend_coord(&(x1, 0.0)),
                    ],
                    MUTED,
                ))?;
            }
            let area = chart.plotting_area();
            let chosen = (s.hourly_commitment, s.monthly_saving);
            area.draw(&DashedPathElement::new(
                vec![(chosen.0, y0), chosen],
                4,
                4,
                MUTED.stroke_width(1),
            ))?;
            if *is_counted {
                area.draw(&PathElement::new(curve, color.stroke_width(3)))?;
            } else {
                area.draw(&DashedPathElement::new(curve, 10, 7, color.stroke_width(3)))?;
            }
            area.draw(&Circle::new(chosen, 7, color.filled()))?;
            area.draw(&Circle::new(chosen, 7, INK.stroke_width(2)))?;
            axis_lines(root, &chart)?;
        }
        Ok(())
    })
}

/// Renders every chart into `dir`, two at a time (the machines have two cores), logging each
/// one's time; returns (file name, PNG bytes) in the order of [`CHARTS`].
pub fn render_all(a: &Analysis, dir: &Path) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let rendered: Vec<Result<(Vec<u8>, u64)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = CHARTS
            .chunks(CHARTS.len().div_ceil(2))
            .map(|charts| {
                scope.spawn(move || {
                    charts
                        .iter()
                        .map(|(_, chart)| {
                            let started = std::time::Instant::now();
                            chart(a).map(|png| (png, started.elapsed().as_millis() as u64))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("chart rendering does not panic"))
            .collect()
    });
    let mut out = Vec::with_capacity(CHARTS.len());
    for ((name, _), result) in CHARTS.iter().zip(rendered) {
        let (png, elapsed_ms) = result?;
        let path = dir.join(name);
        std::fs::write(&path, &png).err_context(|| format!("{}: writing", path.display()))?;
        tracing::info!(
            chart = *name,
            bytes = png.len(),
            elapsed_ms,
            "chart written"
        );
        out.push((*name, png));
    }
    Ok(out)
}

/// A small hand-made analysis with something in every chart, and a PNG checker; shared with
/// the HTML tests.
#[cfg(test)]
pub(crate) mod fixture {
    use super::*;

    fn m(x: f64) -> Money {
        Money::from_f64_line(x).unwrap()
    }
    use crate::analyse::allocation::{CoverageRow, UntaggedResource};
    use crate::analyse::gates::{Gate, GateStatus};
    use crate::analyse::{CostLine, DailyCost, Savings, Totals};
    use crate::config::CommitmentKind;
    use crate::findings::Finding;
    use crate::period::Period;

    pub const OCT_1: i64 = 1_790_812_800_000;

    fn line(name: &str, label: Option<&str>, cost: f64) -> CostLine {
        CostLine {
            name: name.into(),
            label: label.map(String::from),
            billed: m(cost),
            effective: m(cost),
            list: m(cost * 1.1),
        }
    }

    fn coverage(scope: &'static str, value: &str, key: &str, pct: f64) -> CoverageRow {
        CoverageRow {
            scope,
            scope_value: value.into(),
            key: key.into(),
            compliant_cost: pct,
            taggable_cost: 100.0,
            coverage_pct: Some(pct),
        }
    }

    fn finding(category: Category, rule: &str, id: &str, saving: f64) -> Finding {
        let mut f = Finding::new(category, rule, id);
        f.resource_id = Some(id.into());
        f.account_id = Some("111111111111".into());
        f.monthly_saving = saving;
        f.period_cost = saving * 2.0;
        f.currency = "USD".into();
        f.current = "m5.large".into();
        f.recommendation = "stop it".into();
        f
    }

    pub fn analysis() -> Analysis {
        // Eleven services, so the daily chart needs "other"; a credit below zero.
        let services: Vec<(String, f64)> = [
            ("Amazon Elastic Compute Cloud", 40.0),
            ("Amazon Simple Storage Service", 12.0),
            ("Amazon Relational Database Service", 6.0),
        ]
        .into_iter()
        .map(|(n, c)| (n.to_string(), c))
        .chain((1..=7).map(|i| (format!("Service {i}"), 1.0 / i as f64)))
        .collect();
        let mut daily = Vec::new();
        for d in 0..31 {
            for (name, cost) in &services {
                let cost = if d == 16 && name.contains("Compute") {
                    cost * 3.0
                } else {
                    *cost
                };
                daily.push(DailyCost {
                    day: OCT_1 + d * DAY_MS,
                    service: name.clone(),
                    billed: m(cost),
                    effective: m(cost),
                });
            }
        }
        daily.push(DailyCost {
            day: OCT_1,
            service: "AWSCredits".into(),
            billed: m(-25.0),
            effective: m(-25.0),
        });
        let mut by_service: Vec<CostLine> = services
            .iter()
            .map(|(n, c)| line(n, None, c * 31.0))
            .collect();
        by_service.push(line("AWSCredits", None, -25.0));
        let by_account = vec![
            line("111111111111", Some("prod <b>main</b>"), 1200.0),
            line("222222222222", Some("data"), 500.0),
            line("333333333333", None, 90.0),
        ];
        let mut allocation = crate::analyse::allocation::Allocation {
            tag_coverage_pct: Some(80.0),
            taggable_cost: 1700.0,
            untaggable_cost: 90.0,
            ..Default::default()
        };
        for (scope, value, base) in [
            ("total", "", 80.0),
            ("account", "111111111111", 92.0),
            ("account", "222222222222", 61.5),
            ("account", "333333333333", 100.0),
        ] {
            allocation
                .coverage
                .push(coverage(scope, value, "team", (base + 5.0_f64).min(100.0)));
            allocation
                .coverage
                .push(coverage(scope, value, "environment", base));
            allocation
                .coverage
                .push(coverage(scope, value, ALL_REQUIRED, base));
        }
        for (i, id) in [
            "i-0abc<script>alert(1)</script>",
            "arn:aws:ec2:us-east-1:111111111111:snapshot/snap-0123456789abcdef0",
            "vol-1",
        ]
        .iter()
        .enumerate()
        {
            allocation.untagged.push(UntaggedResource {
                resource_id: id.to_string(),
                account: Some("111111111111".into()),
                service: Some("Amazon Elastic Compute Cloud".into()),
                region: Some("us-east-1".into()),
                missing_keys: if i == 0 { vec![] } else { vec!["team".into()] },
                invalid: if i == 0 {
                    vec!["environment==HYPERLINK(\"x\")".into()]
                } else {
                    vec![]
                },
                cost: 100.0 / (i + 1) as f64,
                first_seen: OCT_1,
                last_seen: OCT_1 + 31 * DAY_MS,
            });
        }
        let series: Vec<f64> = (0..744).map(|h| 1.0 + (h % 24) as f64 / 24.0).collect();
        let sizing = |product: &str, scope: &str, d: f64, counted: bool| {
            let ((c, s), curve) = crate::analyse::sizing::size_commitment(&series, d);
            Sizing {
                product: product.into(),
                kind: CommitmentKind::ReservedInstance,
                scope: scope.into(),
                competes_in: scope.into(),
                term_years: 1,
                payment: crate::config::Payment::NoUpfront,
                discount_pct: d * 100.0,
                discount_source: crate::analyse::sizing::DiscountSource::Configured,
                hourly_commitment: c * (1.0 - d),
                on_demand_per_hour: c,
                quantity: None,
                upfront: 0.0,
                monthly_recurring: c * (1.0 - d) * 730.0,
                monthly_saving: s,
                payback_months: 0.0,
                utilization_pct: 95.0,
                coverage_pct: 80.0,
                break_even_utilization_pct: (1.0 - d) * 100.0,
                lookback_hours: 744,
                percentile: 10.0,
                curve: curve.into_iter().map(|(c, s)| (c * (1.0 - d), s)).collect(),
                approximate: false,
                counted,
            }
        };
        let rate = crate::analyse::rate::Rate {
            sizing: vec![
                sizing(
                    "Standard Reserved Instance, 3 years, all upfront",
                    "us-east-1 m5",
                    0.4,
                    true,
                ),
                sizing(
                    "Compute Savings Plan, 1 year, no upfront",
                    "all compute",
                    0.2,
                    false,
                ),
            ],
            ..Default::default()
        };
        let mut findings = vec![
            finding(Category::Rate, "commitment-purchase", "us-east-1 m5", 300.0),
            finding(Category::Usage, "idle-instance", "i-1", 120.5),
            finding(Category::Usage, "downsize-instance", "i-2", 40.0),
            finding(Category::Allocation, "untagged-resource", "vol-1", 0.0),
        ];
        findings[3].counted = false;
        let mut savings = Savings {
            total_monthly: 460.5,
            ..Default::default()
        };
        savings.by_category.insert(Category::Rate, 300.0);
        savings.by_category.insert(Category::Usage, 160.5);
        Analysis {
            currency: "USD".into(),
            period: Period {
                start: OCT_1,
                end: OCT_1 + 31 * DAY_MS,
                label: "2026-10".into(),
            },
            partial: false,
            hourly: true,
            data_start: Some(OCT_1),
            data_end: Some(OCT_1 + 31 * DAY_MS),
            totals: Totals {
                billed: m(1790.0),
                effective: m(1790.0),
                list: m(1900.0),
            },
            by_service,
            by_account,
            by_service_account: vec![],
            daily,
            top_resources: vec![],
            allocation,
            containers: Default::default(),
            usage: Default::default(),
            rate,
            trends: Default::default(),
            budgets: vec![],
            gates: vec![Gate {
                name: "min_tag_coverage_pct",
                value: Some(80.0),
                threshold: 85.0,
                status: GateStatus::Breached,
            }],
            findings,
            savings,
            first_actions: vec![],
            min_saving: 1.0,
            rolled_up: 0,
            bill_coverage: vec![],
            history: None,
            notes: vec!["a note".into()],
            focus: Default::default(),
        }
    }

    /// An analysis of an empty bill: every chart has nothing to show.
    pub fn empty() -> Analysis {
        let mut a = analysis();
        a.by_service.clear();
        a.by_account.clear();
        a.daily.clear();
        a.allocation = Default::default();
        a.rate = Default::default();
        a.findings.clear();
        a.savings = Default::default();
        a.gates.clear();
        a
    }

    /// What a PNG shows: its size, how many distinct colours it has and the share of pixels
    /// that are not white.
    pub fn inspect(png_bytes: &[u8]) -> (u32, u32, usize, f64) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size().expect("fits in memory")];
        let info = reader.next_frame(&mut buf).expect("decodes");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        let pixels: Vec<[u8; 3]> = buf[..info.buffer_size()]
            .chunks_exact(3)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        let colours: std::collections::HashSet<[u8; 3]> = pixels.iter().copied().collect();
        let inked = pixels.iter().filter(|p| **p != [255, 255, 255]).count();
        (
            info.width,
            info.height,
            colours.len(),
            inked as f64 / pixels.len() as f64,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::{analysis, empty, inspect};
    use super::*;

    /// Every chart of the hand-made analysis is a 1200×700 PNG with text (many anti-aliased
    /// shades) and marks (a few per cent of the canvas at least).
    #[test]
    fn every_chart_renders_with_content() {
        let a = analysis();
        for (name, chart) in CHARTS {
            let png = chart(&a).unwrap();
            let (w, h, colours, inked) = inspect(&png);
            assert_eq!((w, h), (WIDTH, HEIGHT), "{name}");
            assert!(colours > 40, "{name}: only {colours} colours");
            assert!(inked > 0.04, "{name}: only {:.1}% inked", inked * 100.0);
        }
    }

    /// Charts of an empty analysis still render: title, axes of nothing and a message.
    #[test]
    fn empty_data_gives_a_no_data_chart() {
        let a = empty();
        for (name, chart) in CHARTS {
            let png = chart(&a).unwrap();
            let (w, h, colours, inked) = inspect(&png);
            assert_eq!((w, h), (WIDTH, HEIGHT), "{name}");
            assert!(colours > 10, "{name}: blank");
            assert!(inked > 0.01, "{name}: blank");
        }
    }

    #[test]
    fn same_analysis_same_bytes() {
        let a = analysis();
        assert_eq!(daily_cost(&a).unwrap(), daily_cost(&a).unwrap());
        assert_eq!(
            commitment_savings_curve(&a).unwrap(),
            commitment_savings_curve(&a).unwrap()
        );
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            nice_ticks(0.0, 2700.0, 6),
            vec![0.0, 500.0, 1000.0, 1500.0, 2000.0, 2500.0]
        );
        assert_eq!(
            nice_ticks(-250.0, 900.0, 5),
            vec![-200.0, 0.0, 200.0, 400.0, 600.0, 800.0]
        );
        let t = y_ticks(&(0.0..340.0), 150.0);
        assert_eq!(t, vec![0.0, 100.0, 200.0, 300.0]);
        assert_eq!(tick_money(1500.0, 500.0), "1,500");
        assert_eq!(tick_money(1.5, 0.5), "1.50");
        assert_eq!(tick_money(1.0, 0.5), "1.00");
    }

    #[test]
    fn long_labels_are_shortened_to_fit() {
        let long = "arn:aws:ec2:us-east-1:123456789012:snapshot/snap-0123456789abcdef0";
        let short = fit(long, plain(LABEL_SIZE), 200);
        assert!(short.ends_with('…'));
        assert!(text_width(&short, plain(LABEL_SIZE)) <= 200);
        assert_eq!(fit("vol-1", plain(LABEL_SIZE), 200), "vol-1");
        assert_eq!(short_resource(long), "snap-0123456789abcdef0");
        assert_eq!(short_resource("i-1"), "i-1");
        let style = plain(LABEL_SIZE);
        let label = pair_label(
            "an-extremely-long-database-identifier-name-7",
            "a-very-long-account-name-for-the-data-team",
            style,
            300,
        );
        assert!(text_width(&label, style) <= 300, "{label}");
        assert!(label.contains("name-7 ("), "{label}");
        assert!(label.ends_with("team)"), "{label}");
        assert_eq!(pair_label("i-1", "acme", style, 300), "i-1 (acme)");
    }

    #[test]
    fn the_curve_continues_past_the_largest_hour_at_the_fee() {
        let a = analysis();
        let s = &a.rate.sizing[0];
        let (x, y) = *s.curve.last().unwrap();
        let longer = extended(s, x + 1.0);
        let (x1, y1) = *longer.last().unwrap();
        assert_eq!(x1, x + 1.0);
        assert!((y - y1 - 0.6 * HOURS_PER_MONTH).abs() < 1e-6);
        let clipped = clip_curve(&longer, x / 2.0);
        assert_eq!(clipped.last().unwrap().0, x / 2.0);
        assert!(clipped.iter().all(|p| p.0 <= x / 2.0));
    }
}
