//! Server-rendered pictures: the case map (the person in the centre, the six themes around
//! them) and the circle of support (rings by involvement, coloured by source). Each picture
//! names itself for screen readers, and every page that shows one also shows the same facts as
//! a table.

use carethread_domain::circle::{Involvement, Source};
use carethread_domain::themes::{Theme, ThemeGlance, count};
use std::collections::HashMap;
use std::fmt::Write;

/// Escapes text for SVG (XML) content and attributes.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// Splits text into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

fn text_lines(out: &mut String, x: f64, y: f64, lines: &[String], line_height: f64, class: &str) {
    let top = y - line_height * (lines.len() as f64 - 1.0) / 2.0;
    for (i, line) in lines.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text x="{x:.0}" y="{:.0}" class="{class}" text-anchor="middle" dominant-baseline="middle">{}</text>"#,
            top + i as f64 * line_height,
            esc(line)
        );
    }
}

/// The case map. `base` is the person's page (`/people/ID`); each theme links below it.
/// In easy read each theme is asked as the person might ask it, with its pictogram.
pub fn case_map(
    person_name: &str,
    base: &str,
    glance: &HashMap<Theme, ThemeGlance>,
    circle_members: i64,
    easy_read: bool,
) -> String {
    let (w, h, cx, cy) = (780.0, 600.0, 390.0, 300.0);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="ct-map" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" aria-labelledby="map-title map-desc"><title id="map-title">{} in the centre, with the six themes of their care around them</title><desc id="map-desc">Each theme links to its page. The table below the picture gives the same information.</desc>"#,
        esc(person_name)
    );
    let positions: Vec<(f64, f64)> = (0..6)
        .map(|i| {
            let angle = (-90.0 + 60.0 * i as f64).to_radians();
            (cx + 260.0 * angle.cos(), cy + 235.0 * angle.sin())
        })
        .collect();
    for (x, y) in &positions {
        let _ = write!(out, r#"<line x1="{cx}" y1="{cy}" x2="{x:.0}" y2="{y:.0}" class="ct-map-spoke"/>"#);
    }
    let _ = write!(out, r#"<circle cx="{cx}" cy="{cy}" r="78" class="ct-map-person"/>"#);
    text_lines(&mut out, cx, cy, &wrap(person_name, 14), 22.0, "ct-map-person-name");
    for (theme, (x, y)) in Theme::ALL.iter().zip(positions) {
        let g = glance.get(theme).cloned().unwrap_or_default();
        let detail = if *theme == Theme::CircleOfSupport {
            let people = count(usize::try_from(circle_members).unwrap_or(0), "person", "people");
            format!("{people} · {}", count(g.open_steps, "open step", "open steps"))
        } else {
            g.summary()
        };
        // The link's visible text (title and counts) is its accessible name, so what a screen
        // reader announces matches what a sighted keyboard user sees.
        let _ =
            write!(out, r#"<a href="{base}/themes/{}" class="ct-map-theme ct-theme-{}">"#, theme.slug(), theme.slug());
        let _ = write!(out, r#"<rect x="{:.0}" y="{:.0}" width="230" height="120" rx="14"/>"#, x - 115.0, y - 55.0);
        if easy_read {
            let _ = write!(
                out,
                r#"<g transform="translate({:.0} {:.0}) scale(0.75)">{}</g>"#,
                x - 108.0,
                y - 40.0,
                crate::web::pictograms::theme_shapes(*theme)
            );
            text_lines(&mut out, x + 24.0, y - 14.0, &wrap(theme.easy_read(), 16), 20.0, "ct-map-theme-title");
        } else {
            text_lines(&mut out, x, y - 14.0, &wrap(theme.title(), 22), 20.0, "ct-map-theme-title");
        }
        text_lines(&mut out, x, y + 30.0, &[detail], 18.0, "ct-map-theme-detail");
        text_lines(&mut out, x, y + 52.0, &[g.outcome_line()], 18.0, "ct-map-theme-detail");
        out.push_str("</a>");
    }
    out.push_str("</svg>");
    out
}

/// One member's place on the circle picture.
pub struct Dot<'a> {
    pub name: &'a str,
    pub source: Source,
    pub involvement: Involvement,
}

/// The circle of support: the person in the centre, rings for core, regular and occasional
/// involvement, members as dots coloured by where they come from.
pub fn circle(person_name: &str, members: &[Dot<'_>]) -> String {
    let (w, h, cx, cy) = (640.0, 640.0, 320.0, 320.0);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="ct-circle" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="circle-title"><title id="circle-title">The circle of support around {}: {} {}, closest in the middle. The table below lists everyone.</title>"#,
        esc(person_name),
        members.len(),
        if members.len() == 1 { "person" } else { "people" }
    );
    for (ring, radius) in [(3, 300.0), (2, 215.0), (1, 130.0)] {
        let _ = write!(out, r#"<circle cx="{cx}" cy="{cy}" r="{radius}" class="ct-ring ct-ring-{ring}"/>"#);
    }
    let _ = write!(out, r#"<circle cx="{cx}" cy="{cy}" r="52" class="ct-map-person"/>"#);
    text_lines(&mut out, cx, cy, &wrap(person_name, 10), 20.0, "ct-map-person-name");
    for involvement in Involvement::ALL {
        let on_ring: Vec<&Dot<'_>> = members.iter().filter(|m| m.involvement == involvement).collect();
        let radius = match involvement.ring() {
            1 => 91.0,
            2 => 172.0,
            _ => 257.0,
        };
        for (i, dot) in on_ring.iter().enumerate() {
            let angle =
                (-90.0 + 360.0 * i as f64 / on_ring.len() as f64 + 15.0 * involvement.ring() as f64).to_radians();
            let (x, y) = (cx + radius * angle.cos(), cy + radius * angle.sin());
            let _ = write!(
                out,
                r#"<circle cx="{x:.0}" cy="{y:.0}" r="9" class="ct-dot ct-source-{}"/>"#,
                dot.source.slug()
            );
            let _ = write!(
                out,
                r#"<text x="{x:.0}" y="{:.0}" class="ct-dot-name" text-anchor="middle">{}</text>"#,
                y + 24.0,
                esc(dot.name)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// One review on the trajectory chart: its date label and each theme's headline.
pub struct ChartPoint {
    pub label: String,
    /// In [`Theme::ALL`] order.
    pub headlines: [carethread_domain::reviews::Headline; 6],
}

/// The trajectory: one band per theme, reviews left to right, each headline placed high
/// (progressed), middle (stayed the same) or low (slipped back). A split review is an open ring
/// on the middle line; a theme nobody voted on leaves a gap. The outcomes table on the same page
/// holds the same facts.
pub fn trajectory(points: &[ChartPoint]) -> String {
    use carethread_domain::reviews::Headline;
    // Theme names on the left (0-190), level names right-aligned before the plot, and room on
    // the right for the last date label to be centred under its point.
    let (left, right, band, top) = (270.0, 70.0, 90.0, 30.0);
    let step = if points.len() > 1 { (900.0 - left - right) / (points.len() - 1) as f64 } else { 0.0 };
    let w = 900.0;
    let h = top + band * 6.0 + 40.0;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="ct-trajectory" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="traj-title"><title id="traj-title">How each theme was judged at each signed-off review, oldest on the left. The table below gives the same results.</title>"#
    );
    let x_of = |i: usize| if points.len() > 1 { left + step * i as f64 } else { left + (w - left - right) / 2.0 };
    for (row, theme) in Theme::ALL.iter().enumerate() {
        let y0 = top + band * row as f64;
        let level = |score: i8| y0 + band / 2.0 - f64::from(score) * 25.0;
        let _ = write!(
            out,
            r#"<rect x="0" y="{y0:.0}" width="{w}" height="{band}" class="ct-traj-band ct-traj-band-{}"/>"#,
            row % 2
        );
        text_lines(&mut out, 100.0, y0 + band / 2.0, &wrap(theme.title(), 18), 20.0, "ct-traj-theme");
        for (score, name) in [(1, "better"), (0, "same"), (-1, "worse")] {
            let y = level(score);
            let _ = write!(
                out,
                r#"<line x1="{left:.0}" y1="{y:.0}" x2="{:.0}" y2="{y:.0}" class="ct-traj-level"/>"#,
                w - right
            );
            let _ = write!(
                out,
                r#"<text x="{:.0}" y="{y:.0}" class="ct-traj-axis" text-anchor="end" dominant-baseline="middle">{name}</text>"#,
                left - 12.0
            );
        }
        let mut path = String::new();
        for (i, p) in points.iter().enumerate() {
            match p.headlines[row].score() {
                Some(score) => {
                    let _ =
                        write!(path, "{}{:.0},{:.0} ", if path.is_empty() { "M" } else { "L" }, x_of(i), level(score));
                }
                None => {
                    if !path.is_empty() {
                        let _ = write!(out, r#"<path d="{}" class="ct-traj-line"/>"#, path.trim_end());
                        path.clear();
                    }
                }
            }
        }
        if !path.is_empty() {
            let _ = write!(out, r#"<path d="{}" class="ct-traj-line"/>"#, path.trim_end());
        }
        for (i, p) in points.iter().enumerate() {
            match p.headlines[row] {
                Headline::Clear(v) => {
                    let score = p.headlines[row].score().unwrap_or(0);
                    let _ = write!(
                        out,
                        r#"<circle cx="{:.0}" cy="{:.0}" r="9" class="ct-traj-dot ct-bar-{}"/>"#,
                        x_of(i),
                        level(score),
                        v.slug()
                    );
                }
                Headline::Split => {
                    let _ = write!(
                        out,
                        r#"<circle cx="{:.0}" cy="{:.0}" r="9" class="ct-traj-split"/>"#,
                        x_of(i),
                        level(0)
                    );
                }
                Headline::NoVotes => {}
            }
        }
    }
    for (i, p) in points.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text x="{:.0}" y="{:.0}" class="ct-traj-axis" text-anchor="middle">{}</text>"#,
            x_of(i),
            h - 12.0,
            esc(&p.label)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_links_every_theme_and_escapes_names() {
        let svg = case_map("Ann <b>&</b> O'Neill", "/people/x", &HashMap::new(), 2, false);
        for theme in Theme::ALL {
            assert!(svg.contains(&format!("href=\"/people/x/themes/{}\"", theme.slug())));
        }
        assert!(svg.contains("Ann &lt;b&gt;&amp;&lt;/b&gt; O&#39;Neill"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("2 people"));
        let easy = case_map("Ann", "/people/x", &HashMap::new(), 0, true);
        assert!(easy.contains("Who helps me?") && easy.contains("<g transform="));
    }

    #[test]
    fn the_trajectory_places_each_headline_and_leaves_gaps_for_themes_not_voted_on() {
        use carethread_domain::reviews::{Headline, Vote};
        let point = |h: Headline| ChartPoint { label: "1 Dec".into(), headlines: [h, h, h, h, h, Headline::NoVotes] };
        let svg = trajectory(&[
            point(Headline::Clear(Vote::Progressed)),
            point(Headline::Split),
            point(Headline::Clear(Vote::SlippedBack)),
        ]);
        assert_eq!(svg.matches("ct-traj-dot").count(), 10, "two clear headlines in five themes");
        assert_eq!(svg.matches("ct-traj-split").count(), 5);
        assert_eq!(svg.matches("<path").count(), 10, "a split breaks the line: two pieces per voted theme");
        assert!(svg.contains("role=\"img\"") && svg.contains("<title"));
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(wrap("Joining in and living a good life", 22), vec!["Joining in and living", "a good life"]);
    }

    #[test]
    fn the_circle_draws_one_dot_per_member() {
        let dots = [
            Dot { name: "Mum", source: Source::PersonalNetwork, involvement: Involvement::Core },
            Dot { name: "GP", source: Source::Services, involvement: Involvement::Occasional },
        ];
        let svg = circle("Jo", &dots);
        assert_eq!(svg.matches("class=\"ct-dot ").count(), 2);
        assert!(svg.contains("ct-source-personal-network") && svg.contains("ct-source-services"));
    }
}
