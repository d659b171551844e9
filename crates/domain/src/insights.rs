//! Figures for commissioners: counts and democratic-outcome distributions, never names, with
//! small numbers suppressed so that no one can be recognised from them.
//!
//! A count from 1 to 4 is shown as "fewer than 5". Where a row shows its total and only one of
//! its cells is suppressed, that cell could be worked out from the others, so the next smallest
//! cell is suppressed too (secondary suppression).

use crate::reviews::{Headline, Tally, Vote};
use crate::themes::Theme;
use std::fmt;

/// Counts below this (and above zero) are not shown.
pub const SMALLEST_SHOWN: u64 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    Shown(u64),
    FewerThanFive,
    /// Hidden only because it would reveal a suppressed neighbour.
    Withheld,
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Figure::Shown(n) => write!(f, "{n}"),
            Figure::FewerThanFive => f.write_str("fewer than 5"),
            Figure::Withheld => f.write_str("not shown"),
        }
    }
}

impl Figure {
    pub fn one(n: u64) -> Figure {
        if n > 0 && n < SMALLEST_SHOWN { Figure::FewerThanFive } else { Figure::Shown(n) }
    }
}

/// A row of counts with its total, suppressed so that no hidden cell can be recovered.
pub fn row(counts: &[u64]) -> (Vec<Figure>, Figure) {
    let total: u64 = counts.iter().sum();
    let mut cells: Vec<Figure> = counts.iter().map(|&n| Figure::one(n)).collect();
    let total_figure = Figure::one(total);
    let hidden = cells.iter().filter(|c| !matches!(c, Figure::Shown(_))).count();
    if hidden == 1 && matches!(total_figure, Figure::Shown(_)) {
        // total − shown cells would give the hidden one: hide the smallest shown non-zero cell too.
        let next = counts
            .iter()
            .enumerate()
            .filter(|(i, n)| matches!(cells[*i], Figure::Shown(_)) && **n > 0)
            .min_by_key(|(_, n)| **n)
            .map(|(i, _)| i);
        match next {
            Some(i) => cells[i] = Figure::Withheld,
            // Every other cell is zero: the hidden one equals the total, so hide the total.
            None => return (cells, Figure::Withheld),
        }
    }
    (cells, total_figure)
}

/// The outcomes of one theme across many reviews: how many reviews' headline was each answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutcomeCounts {
    pub progressed: u64,
    pub unchanged: u64,
    pub slipped_back: u64,
    pub split: u64,
}

impl OutcomeCounts {
    /// Adds one review's outcome for the theme (a review with no votes on it adds nothing).
    pub fn add(&mut self, tally: &Tally) {
        match tally.headline() {
            Headline::Clear(Vote::Progressed) => self.progressed += 1,
            Headline::Clear(Vote::Unchanged) => self.unchanged += 1,
            Headline::Clear(Vote::SlippedBack) => self.slipped_back += 1,
            Headline::Split => self.split += 1,
            Headline::NoVotes => {}
        }
    }

    pub fn as_row(&self) -> [u64; 4] {
        [self.progressed, self.unchanged, self.slipped_back, self.split]
    }
}

/// The outcome distribution of every theme over a set of reviews.
pub fn distribution<'a>(reviews: impl IntoIterator<Item = &'a [(Theme, Tally)]>) -> Vec<(Theme, OutcomeCounts)> {
    let mut out: Vec<(Theme, OutcomeCounts)> = Theme::ALL.iter().map(|t| (*t, OutcomeCounts::default())).collect();
    for review in reviews {
        for (theme, tally) in review {
            if let Some((_, counts)) = out.iter_mut().find(|(t, _)| t == theme) {
                counts.add(tally);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_numbers_are_suppressed_and_zero_and_five_are_shown() {
        assert_eq!(Figure::one(0), Figure::Shown(0));
        assert_eq!(Figure::one(4), Figure::FewerThanFive);
        assert_eq!(Figure::one(5), Figure::Shown(5));
        assert_eq!(Figure::one(3).to_string(), "fewer than 5");
    }

    #[test]
    fn a_lone_suppressed_cell_takes_its_smallest_neighbour_with_it() {
        let (cells, total) = row(&[12, 3, 7, 0]);
        assert_eq!(cells, vec![Figure::Shown(12), Figure::FewerThanFive, Figure::Withheld, Figure::Shown(0)]);
        assert_eq!(total, Figure::Shown(22));
        let (cells, total) = row(&[0, 3, 0, 0]);
        assert_eq!((cells[1], total), (Figure::FewerThanFive, Figure::FewerThanFive));
        let (_, total) = row(&[0, 0, 0, 0]);
        assert_eq!(total, Figure::Shown(0));
    }

    #[test]
    fn outcomes_count_each_reviews_headline() {
        let clear = Tally { progressed: 3, unchanged: 1, slipped_back: 0 };
        let split = Tally { progressed: 1, unchanged: 1, slipped_back: 0 };
        let reviews: Vec<Vec<(Theme, Tally)>> =
            vec![vec![(Theme::AboutMe, clear)], vec![(Theme::AboutMe, split), (Theme::Progress, clear)]];
        let d = distribution(reviews.iter().map(Vec::as_slice));
        let about = d.iter().find(|(t, _)| *t == Theme::AboutMe).expect("theme").1;
        assert_eq!(about, OutcomeCounts { progressed: 1, split: 1, ..Default::default() });
    }

    proptest! {
        /// Whatever the counts, no suppressed cell can be worked out from what is shown: either
        /// two or more cells are hidden, or the total is hidden too.
        #[test]
        fn no_hidden_cell_can_be_recovered(counts in proptest::collection::vec(0u64..40, 1..6)) {
            let (cells, total) = row(&counts);
            let hidden = cells.iter().filter(|c| !matches!(c, Figure::Shown(_))).count();
            prop_assert!(hidden != 1 || !matches!(total, Figure::Shown(_)));
            for (cell, n) in cells.iter().zip(&counts) {
                if let Figure::Shown(shown) = cell { prop_assert_eq!(shown, n); }
                if (1..SMALLEST_SHOWN).contains(n) { prop_assert_eq!(*cell, Figure::FewerThanFive); }
            }
        }
    }
}
