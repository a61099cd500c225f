//! A minimal SVG plotter: axes with nice ticks, lines, markers, a circle, a legend.
//!
//! Written for neurodyn's report figures (a few thousand points at most); output is plain
//! SVG 1.1 text that any browser renders without scripts or network access.

use std::fmt::Write;

/// Marker shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// Filled circle.
    Dot,
    /// Open circle.
    Ring,
    /// Diagonal cross.
    Cross,
    /// Filled square.
    Square,
}

/// Something drawn in data coordinates.
#[derive(Clone, Debug)]
enum Element {
    Line { xs: Vec<f64>, ys: Vec<f64>, color: String, width: f64, dash: bool, opacity: f64 },
    Points { xs: Vec<f64>, ys: Vec<f64>, color: String, marker: Marker, size: f64 },
    Circle { cx: f64, cy: f64, r: f64, color: String },
}

/// One panel with axes.
#[derive(Clone, Debug)]
pub struct Plot {
    title: String,
    x_label: String,
    y_label: String,
    log_y: bool,
    equal_aspect: bool,
    hide_axes: bool,
    elements: Vec<Element>,
    legend: Vec<(String, String, Option<Marker>)>,
    /// Width and height in pixels.
    pub size: (f64, f64),
}

const MARGIN: (f64, f64, f64, f64) = (58.0, 16.0, 30.0, 44.0); // left, right, top, bottom

impl Plot {
    /// An empty panel.
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Self {
        Plot {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_y: false,
            equal_aspect: false,
            hide_axes: false,
            elements: Vec::new(),
            legend: Vec::new(),
            size: (640.0, 360.0),
        }
    }

    /// Logarithmic y axis (non-positive values are skipped).
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }

    /// Same scale on both axes.
    pub fn equal_aspect(mut self) -> Self {
        self.equal_aspect = true;
        self
    }

    /// No axes or ticks (for projections that draw their own).
    pub fn hide_axes(mut self) -> Self {
        self.hide_axes = true;
        self
    }

    /// Sets the pixel size.
    pub fn with_size(mut self, w: f64, h: f64) -> Self {
        self.size = (w, h);
        self
    }

    /// A polyline.
    pub fn line(&mut self, xs: &[f64], ys: &[f64], color: &str, width: f64) -> &mut Self {
        self.elements.push(Element::Line {
            xs: xs.into(),
            ys: ys.into(),
            color: color.into(),
            width,
            dash: false,
            opacity: 1.0,
        });
        self
    }

    /// A dashed polyline.
    pub fn dashed(&mut self, xs: &[f64], ys: &[f64], color: &str, width: f64) -> &mut Self {
        self.elements.push(Element::Line {
            xs: xs.into(),
            ys: ys.into(),
            color: color.into(),
            width,
            dash: true,
            opacity: 1.0,
        });
        self
    }

    /// A faint polyline (for many overlapping trajectories).
    pub fn faint(&mut self, xs: &[f64], ys: &[f64], color: &str, opacity: f64) -> &mut Self {
        self.elements.push(Element::Line {
            xs: xs.into(),
            ys: ys.into(),
            color: color.into(),
            width: 1.0,
            dash: false,
            opacity,
        });
        self
    }

    /// Markers at points.
    pub fn points(
        &mut self,
        xs: &[f64],
        ys: &[f64],
        color: &str,
        marker: Marker,
        size: f64,
    ) -> &mut Self {
        self.elements.push(Element::Points {
            xs: xs.into(),
            ys: ys.into(),
            color: color.into(),
            marker,
            size,
        });
        self
    }

    /// A circle in data coordinates.
    pub fn circle(&mut self, cx: f64, cy: f64, r: f64, color: &str) -> &mut Self {
        self.elements.push(Element::Circle { cx, cy, r, color: color.into() });
        self
    }

    /// A legend entry.
    pub fn legend(&mut self, label: &str, color: &str, marker: Option<Marker>) -> &mut Self {
        self.legend.push((label.into(), color.into(), marker));
        self
    }

    fn y_value(&self, y: f64) -> Option<f64> {
        if self.log_y {
            (y > 0.0 && y.is_finite()).then(|| y.log10())
        } else {
            y.is_finite().then_some(y)
        }
    }

    fn bounds(&self) -> ([f64; 2], [f64; 2]) {
        let (mut x, mut y) =
            ([f64::INFINITY, f64::NEG_INFINITY], [f64::INFINITY, f64::NEG_INFINITY]);
        let mut see = |px: f64, py: Option<f64>| {
            if let (true, Some(py)) = (px.is_finite(), py) {
                x = [x[0].min(px), x[1].max(px)];
                y = [y[0].min(py), y[1].max(py)];
            }
        };
        for e in &self.elements {
            match e {
                Element::Line { xs, ys, .. } | Element::Points { xs, ys, .. } => {
                    xs.iter().zip(ys).for_each(|(a, b)| see(*a, self.y_value(*b)));
                }
                Element::Circle { cx, cy, r, .. } => {
                    see(cx - r, Some(cy - r));
                    see(cx + r, Some(cy + r));
                }
            }
        }
        let pad = |r: [f64; 2]| {
            if !r[0].is_finite() {
                return [0.0, 1.0];
            }
            let span = r[1] - r[0];
            if span <= 1e-12 * r[1].abs().max(1.0) {
                // One value: a range around it wide enough for distinct round ticks.
                let half = 0.1 * r[0].abs().max(1.0);
                return [r[0] - half, r[1] + half];
            }
            [r[0] - 0.04 * span, r[1] + 0.04 * span]
        };
        (pad(x), pad(y))
    }

    /// Renders the panel as a standalone `<svg>` element.
    pub fn to_svg(&self) -> String {
        let (w, h) = self.size;
        let (ml, mr, mt, mb) = MARGIN;
        let (pw, ph) = (w - ml - mr, h - mt - mb);
        let (mut xr, mut yr) = self.bounds();
        if self.equal_aspect {
            // Grow the tighter range so one data unit has the same length on both axes.
            let (sx, sy) = ((xr[1] - xr[0]) / pw, (yr[1] - yr[0]) / ph);
            if sx > sy {
                let c = 0.5 * (yr[0] + yr[1]);
                yr = [c - 0.5 * sx * ph, c + 0.5 * sx * ph];
            } else {
                let c = 0.5 * (xr[0] + xr[1]);
                xr = [c - 0.5 * sy * pw, c + 0.5 * sy * pw];
            }
        }
        let px = |x: f64| ml + (x - xr[0]) / (xr[1] - xr[0]) * pw;
        let py = |y: f64| mt + ph - (y - yr[0]) / (yr[1] - yr[0]) * ph;
        // The legend gets a column right of the axes, so it never covers data.
        let total_w = self.total_width();
        // Clip paths are looked up by id in the whole page: each plot gets its own.
        let clip = format!("c{:016x}", self.fingerprint(xr, yr));
        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{h}" viewBox="0 0 {total_w} {h}" font-family="sans-serif" font-size="11">"#
        );
        let _ = write!(s, r#"<rect width="{total_w}" height="{h}" fill="white"/>"#);
        let _ = write!(
            s,
            r#"<text x="{}" y="18" font-size="13" text-anchor="middle">{}</text>"#,
            w / 2.0,
            escape(&self.title)
        );
        if !self.hide_axes {
            let _ = write!(
                s,
                r##"<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>"##
            );
            for t in ticks(xr[0], xr[1]) {
                let x = px(t);
                let _ = write!(
                    s,
                    r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#333"/>"##,
                    mt + ph,
                    mt + ph + 4.0
                );
                let _ = write!(
                    s,
                    r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                    mt + ph + 16.0,
                    fmt_tick(t)
                );
            }
            for t in ticks(yr[0], yr[1]) {
                let y = py(t);
                let label = if self.log_y { format!("1e{}", fmt_tick(t)) } else { fmt_tick(t) };
                let _ = write!(
                    s,
                    r##"<line x1="{:.1}" y1="{y:.1}" x2="{ml}" y2="{y:.1}" stroke="#333"/>"##,
                    ml - 4.0
                );
                let _ = write!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"#,
                    ml - 6.0,
                    y + 4.0
                );
            }
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                ml + pw / 2.0,
                h - 8.0,
                escape(&self.x_label)
            );
            let _ = write!(
                s,
                r#"<text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
                mt + ph / 2.0,
                escape(&self.y_label)
            );
        }
        let _ = write!(
            s,
            r#"<clipPath id="{clip}"><rect x="{ml}" y="{mt}" width="{pw}" height="{ph}"/></clipPath><g clip-path="url(#{clip})">"#
        );
        for e in &self.elements {
            match e {
                Element::Line { xs, ys, color, width, dash, opacity } => {
                    let mut d = String::new();
                    let mut pen_down = false;
                    for (x, y) in xs.iter().zip(ys) {
                        match self.y_value(*y).filter(|_| x.is_finite()) {
                            Some(yv) => {
                                let _ = write!(
                                    d,
                                    "{}{:.1},{:.1} ",
                                    if pen_down { "L" } else { "M" },
                                    px(*x),
                                    py(yv)
                                );
                                pen_down = true;
                            }
                            None => pen_down = false,
                        }
                    }
                    let dash = if *dash { r#" stroke-dasharray="5,3""# } else { "" };
                    let _ = write!(
                        s,
                        r#"<path d="{d}" fill="none" stroke="{color}" stroke-width="{width}" stroke-opacity="{opacity}"{dash}/>"#
                    );
                }
                Element::Points { xs, ys, color, marker, size } => {
                    for (x, y) in xs.iter().zip(ys) {
                        if let Some(yv) = self.y_value(*y) {
                            s.push_str(&marker_svg(*marker, px(*x), py(yv), *size, color));
                        }
                    }
                }
                Element::Circle { cx, cy, r, color } => {
                    let n = 180;
                    let d: String = (0..=n)
                        .map(|k| {
                            let a = std::f64::consts::TAU * k as f64 / n as f64;
                            format!(
                                "{}{:.1},{:.1} ",
                                if k == 0 { "M" } else { "L" },
                                px(cx + r * a.cos()),
                                py(cy + r * a.sin())
                            )
                        })
                        .collect();
                    let _ = write!(
                        s,
                        r#"<path d="{d}" fill="none" stroke="{color}" stroke-dasharray="4,3"/>"#
                    );
                }
            }
        }
        s.push_str("</g>");
        for (k, (label, color, marker)) in self.legend.iter().enumerate() {
            let (x, y) = (ml + pw + 12.0, mt + 14.0 + 15.0 * k as f64);
            match marker {
                Some(m) => s.push_str(&marker_svg(*m, x + 8.0, y - 4.0, 4.0, color)),
                None => {
                    let _ = write!(
                        s,
                        r#"<line x1="{x}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{color}" stroke-width="2"/>"#,
                        y - 4.0,
                        x + 16.0,
                        y - 4.0
                    );
                }
            }
            let _ = write!(s, r#"<text x="{:.1}" y="{y:.1}">{}</text>"#, x + 22.0, escape(label));
        }
        s.push_str("</svg>");
        s
    }
}

impl Plot {
    /// A hash of what the plot shows, for ids that differ between plots of one page.
    fn fingerprint(&self, xr: [f64; 2], yr: [f64; 2]) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
            }
        };
        eat(self.title.as_bytes());
        eat(self.x_label.as_bytes());
        eat(self.y_label.as_bytes());
        for v in [xr[0], xr[1], yr[0], yr[1], self.size.0, self.size.1] {
            eat(&v.to_bits().to_le_bytes());
        }
        eat(&(self.elements.len() as u64).to_le_bytes());
        h
    }

    /// Total width including the legend column.
    fn total_width(&self) -> f64 {
        let longest = self.legend.iter().map(|l| l.0.chars().count()).max().unwrap_or(0);
        self.size.0 + if self.legend.is_empty() { 0.0 } else { 34.0 + 6.3 * longest as f64 }
    }
}

fn marker_svg(m: Marker, x: f64, y: f64, r: f64, color: &str) -> String {
    match m {
        Marker::Dot => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" fill="{color}"/>"#),
        Marker::Ring => format!(
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" fill="white" stroke="{color}" stroke-width="1.5"/>"#
        ),
        Marker::Square => format!(
            r#"<rect x="{:.1}" y="{:.1}" width="{}" height="{}" fill="{color}"/>"#,
            x - r,
            y - r,
            2.0 * r,
            2.0 * r
        ),
        Marker::Cross => format!(
            r#"<path d="M{:.1},{:.1}L{:.1},{:.1}M{:.1},{:.1}L{:.1},{:.1}" stroke="{color}" stroke-width="1.8"/>"#,
            x - r,
            y - r,
            x + r,
            y + r,
            x - r,
            y + r,
            x + r,
            y - r
        ),
    }
}

/// Stacks panels vertically into one SVG.
pub fn stack(panels: &[Plot]) -> String {
    let w = panels.iter().map(Plot::total_width).fold(0.0, f64::max);
    let h: f64 = panels.iter().map(|p| p.size.1).sum();
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#
    );
    let mut y = 0.0;
    for (k, p) in panels.iter().enumerate() {
        // Each panel's clip path needs its own id inside one document.
        let body = p
            .to_svg()
            .replace(r#"id="c"#, &format!(r#"id="p{k}c"#))
            .replace("url(#c", &format!("url(#p{k}c"));
        let _ = write!(s, r#"<g transform="translate(0 {y})">{body}</g>"#);
        y += p.size.1;
    }
    s.push_str("</svg>");
    s
}

/// About five round tick positions covering `[lo, hi]`.
pub fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = hi - lo;
    if !(span > 0.0 && span.is_finite()) {
        return vec![lo];
    }
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= 6.0)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

fn fmt_tick(t: f64) -> String {
    let a = t.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{t:.0e}")
    } else {
        let s = format!("{t:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Escapes text for SVG/HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 1.0), vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        assert_eq!(ticks(-3.0, 7.0), vec![-2.0, 0.0, 2.0, 4.0, 6.0]);
    }

    #[test]
    fn plot_renders_well_formed_svg() {
        let mut p = Plot::new("t<1>", "x", "y").log_y();
        p.line(&[0.0, 1.0, 2.0], &[1.0, 0.0, 0.1], "red", 1.0).points(
            &[1.0],
            &[0.5],
            "blue",
            Marker::Cross,
            3.0,
        );
        let s = p.to_svg();
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("t&lt;1&gt;"));
        // The zero on a log axis breaks the line into two pieces: two moves in its path.
        let line = s.split("<path d=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(line.matches('M').count(), 2, "{line}");
    }
}
