//! Carethread's own pictograms, drawn from simple shapes on a 64 × 64 grid: one for each
//! theme and one for each kind of entry. They sit beside words in easy-read pages and never
//! replace them, so they are hidden from screen readers.

use carethread_domain::themes::{EntryKind, Theme};

/// The shapes of one pictogram, in a 64 × 64 box.
fn shapes(name: &str) -> &'static str {
    match name {
        // Three people side by side.
        "circle-of-support" => {
            r##"<circle cx="32" cy="18" r="8" fill="#005eb8"/><path d="M18 50c0-10 6-16 14-16s14 6 14 16z" fill="#005eb8"/><circle cx="13" cy="26" r="6" fill="#007f3b"/><path d="M2 52c0-8 5-13 11-13s11 5 11 13z" fill="#007f3b"/><circle cx="51" cy="26" r="6" fill="#ffb81c"/><path d="M40 52c0-8 5-13 11-13s11 5 11 13z" fill="#ffb81c"/>"##
        }
        // A person with a speech bubble.
        "about-me" => {
            r##"<circle cx="22" cy="24" r="9" fill="#005eb8"/><path d="M6 56c0-12 7-19 16-19s16 7 16 19z" fill="#005eb8"/><path d="M36 6h22a4 4 0 0 1 4 4v14a4 4 0 0 1-4 4H46l-6 6v-6h-4a4 4 0 0 1-4-4V10a4 4 0 0 1 4-4z" fill="#fff" stroke="#212b32" stroke-width="3"/><circle cx="41" cy="17" r="2" fill="#212b32"/><circle cx="47" cy="17" r="2" fill="#212b32"/><circle cx="53" cy="17" r="2" fill="#212b32"/>"##
        }
        // A toolbox.
        "problem-toolkits" => {
            r##"<rect x="6" y="24" width="52" height="30" rx="4" fill="#005eb8"/><path d="M22 24v-8a4 4 0 0 1 4-4h12a4 4 0 0 1 4 4v8" fill="none" stroke="#212b32" stroke-width="4"/><rect x="6" y="34" width="52" height="5" fill="#003087"/><rect x="28" y="31" width="8" height="11" rx="2" fill="#ffb81c"/>"##
        }
        // A sun over a path: the days and what makes them good.
        "joining-in" => {
            r##"<circle cx="32" cy="26" r="11" fill="#ffb81c"/><g stroke="#ffb81c" stroke-width="4" stroke-linecap="round"><path d="M32 4v6M32 42v6M10 26h6M48 26h6M16 10l4 4M44 38l4 4M48 10l-4 4M20 38l-4 4"/></g><path d="M4 60c10-8 46-8 56 0z" fill="#007f3b"/>"##
        }
        // A shield with a cross.
        "keeping-safe" => {
            r##"<path d="M32 4l24 9v16c0 15-10 26-24 31C18 55 8 44 8 29V13z" fill="#005eb8"/><path d="M28 18h8v10h10v8H36v10h-8V36H18v-8h10z" fill="#fff"/>"##
        }
        // Steps going up with an arrow.
        "progress" => {
            r##"<path d="M6 56h14V44h12V32h12V20h14v36H6z" fill="#007f3b"/><path d="M10 34L36 10" stroke="#212b32" stroke-width="4" stroke-linecap="round"/><path d="M26 8h12v12" fill="none" stroke="#212b32" stroke-width="4" stroke-linecap="round" stroke-linejoin="round"/>"##
        }
        // A tick in a circle.
        "working" => {
            r##"<circle cx="32" cy="32" r="26" fill="#007f3b"/><path d="M19 33l9 9 18-19" fill="none" stroke="#fff" stroke-width="6" stroke-linecap="round" stroke-linejoin="round"/>"##
        }
        // A cloud with an exclamation mark.
        "worry" => {
            r##"<path d="M18 48a12 12 0 0 1-1-24 16 16 0 0 1 31-3 11 11 0 0 1-1 27z" fill="#ffb81c" stroke="#212b32" stroke-width="3"/><path d="M32 22v14" stroke="#212b32" stroke-width="5" stroke-linecap="round"/><circle cx="32" cy="42" r="3" fill="#212b32"/>"##
        }
        // An arrow pointing forwards.
        "next-step" => r##"<path d="M6 26h30V14l22 18-22 18V38H6z" fill="#005eb8"/>"##,
        // A star: something to reach for.
        "goal" => {
            r##"<path d="M32 4l8 18 19 2-14 13 4 19-17-10-17 10 4-19L5 24l19-2z" fill="#ffb81c" stroke="#212b32" stroke-width="3" stroke-linejoin="round"/>"##
        }
        // A telephone handset.
        "phone" => {
            r##"<path d="M14 6h10l5 14-7 5c3 7 8 12 15 15l5-7 14 5v10c0 4-3 7-7 7C29 55 9 35 7 13c0-4 3-7 7-7z" fill="#005eb8"/>"##
        }
        // A capsule.
        "medicine" => {
            r##"<g transform="rotate(-40 32 32)"><rect x="8" y="22" width="48" height="20" rx="10" fill="#fff" stroke="#212b32" stroke-width="3"/><path d="M32 22h14a10 10 0 0 1 0 20H32z" fill="#005eb8"/></g>"##
        }
        // A page with a folded corner and lines.
        "document" => {
            r##"<path d="M14 4h26l12 12v44H14z" fill="#fff" stroke="#212b32" stroke-width="3" stroke-linejoin="round"/><path d="M40 4v12h12" fill="none" stroke="#212b32" stroke-width="3"/><path d="M22 28h22M22 36h22M22 44h16" stroke="#005eb8" stroke-width="3"/>"##
        }
        // A pencil.
        _ => {
            r##"<path d="M10 54l4-14 30-30 10 10-30 30z" fill="#ffb81c" stroke="#212b32" stroke-width="3"/><path d="M10 54l4-14 10 10z" fill="#212b32"/>"##
        }
    }
}

/// A pictogram as a standalone SVG file, for documents made outside the browser (the PDF).
pub fn svg_document(name: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">{}</svg>"#,
        shapes(name)
    )
}

/// A pictogram by name, inline: `goal`, `phone`, `medicine`, `document`, or any theme or kind.
pub fn named(name: &str) -> String {
    inline(name)
}

/// A pictogram as an inline SVG element of the given CSS size class.
fn inline(name: &str) -> String {
    format!(r#"<svg class="ct-picto" viewBox="0 0 64 64" aria-hidden="true" focusable="false">{}</svg>"#, shapes(name))
}

pub fn theme(t: Theme) -> String {
    inline(t.slug())
}

pub fn entry_kind(k: EntryKind) -> String {
    inline(k.slug())
}

/// The shapes of a theme's pictogram, for nesting inside a larger picture.
pub fn theme_shapes(t: Theme) -> &'static str {
    shapes(t.slug())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_theme_and_kind_has_its_own_pictogram_hidden_from_screen_readers() {
        let mut seen = std::collections::HashSet::new();
        for t in Theme::ALL {
            assert!(seen.insert(theme_shapes(t)), "{t:?} shares a pictogram");
            assert!(theme(t).contains("aria-hidden=\"true\""));
        }
        for k in EntryKind::ALL {
            assert!(seen.insert(shapes(k.slug())), "{k:?} shares a pictogram");
        }
    }
}
