//! What changed between two versions of a plan, in plain words: one sentence per change, in
//! the order the plan reads (goals, management plan, escalation plan, ownership).

use super::{CrisisContact, Goal, Mandate, PlanContent, Step};

/// The changes from `old` to `new`; empty when they say the same.
pub fn describe(old: &PlanContent, new: &PlanContent) -> Vec<String> {
    let mut out = Vec::new();
    goals(&mut out, &old.goals, &new.goals);
    let (om, nm) = (&old.management, &new.management);
    let treatments = |p: &super::ManagementPlan| p.treatments.iter().map(|t| t.to_line()).collect::<Vec<_>>();
    list(&mut out, "Treatment or medicine", &treatments(om), &treatments(nm));
    list(&mut out, "Social prescribing", &om.social_prescribing, &nm.social_prescribing);
    list(&mut out, "Looking after myself", &om.self_management, &nm.self_management);
    let duties = |p: &super::ManagementPlan| {
        p.responsibilities.iter().map(|r| format!("{} will {}", r.who_name, r.what)).collect::<Vec<_>>()
    };
    list(&mut out, "Who does what", &duties(om), &duties(nm));
    let (oe, ne) = (&old.escalation, &new.escalation);
    list(&mut out, "Early warning sign", &oe.warning_signs, &ne.warning_signs);
    list(&mut out, "What helps", &oe.what_helps, &ne.what_helps);
    list(&mut out, "What to do", &oe.what_to_do, &ne.what_to_do);
    list(&mut out, "What not to do", &oe.what_not_to_do, &ne.what_not_to_do);
    contacts(&mut out, &oe.contacts, &ne.contacts);
    if oe.crisis_preferences != ne.crisis_preferences {
        out.push(match &ne.crisis_preferences {
            Some(p) => format!("Wishes in a crisis are now: \u{201c}{p}\u{201d}."),
            None => "Wishes in a crisis were removed.".into(),
        });
    }
    mandates(&mut out, &oe.mandates, &ne.mandates);
    if old.ownership != new.ownership {
        out.push(match &new.ownership {
            super::Ownership::Person => "The person now owns the plan themselves.".into(),
            super::Ownership::Nominated { name, reason } => {
                format!("{name} now holds the plan for the person, because: {reason}.")
            }
        });
    }
    if old.review_months != new.review_months {
        out.push(format!(
            "The plan is now reviewed {} (was {}).",
            new.review_months.describe(),
            old.review_months.describe()
        ));
    }
    out
}

fn quoted(s: &str) -> String {
    format!("\u{201c}{s}\u{201d}")
}

fn goals(out: &mut Vec<String>, old: &[Goal], new: &[Goal]) {
    for g in new {
        match old.iter().find(|o| o.id == g.id) {
            None => out.push(format!("New goal: {}.", quoted(&g.achieve))),
            Some(o) => goal(out, o, g),
        }
    }
    for o in old.iter().filter(|o| !new.iter().any(|g| g.id == o.id)) {
        out.push(format!("Goal removed: {}.", quoted(&o.achieve)));
    }
}

fn goal(out: &mut Vec<String>, old: &Goal, new: &Goal) {
    let name = quoted(&new.achieve);
    if old.achieve != new.achieve {
        out.push(format!("A goal was reworded from {} to {name}.", quoted(&old.achieve)));
    }
    if old.what_matters != new.what_matters {
        out.push(format!("Goal {name}: what matters is now {}.", quoted(&new.what_matters)));
    }
    if old.achievement != new.achievement {
        out.push(format!(
            "Goal {name} went from \u{201c}{}\u{201d} to \u{201c}{}\u{201d}.",
            old.achievement.label(),
            new.achievement.label()
        ));
    }
    if old.commitment != new.commitment {
        out.push(match &new.commitment {
            Some(c) => format!("Goal {name}: what the person will do is now {}.", quoted(c)),
            None => format!("Goal {name}: what the person will do was removed."),
        });
    }
    if old.voice != new.voice {
        out.push(format!("Goal {name} is now marked \u{201c}{}\u{201d}.", new.voice.describe()));
    }
    if old.themes != new.themes || old.problems != new.problems {
        out.push(format!("Goal {name} now links to different themes or problem areas."));
    }
    for s in &new.steps {
        match old.steps.iter().find(|o| o.what == s.what) {
            None => out.push(format!("Goal {name}: new step {}{}.", quoted(&s.what), step_tail(s))),
            Some(o) => {
                if o.who != s.who {
                    out.push(format!(
                        "Goal {name}: step {} is now supported by {} instead of {}.",
                        quoted(&s.what),
                        s.who_name,
                        o.who_name
                    ));
                }
                if o.by != s.by {
                    let by =
                        s.by.map(|d| format!("due by {}", d.format("%-d %B %Y")))
                            .unwrap_or_else(|| "no longer has a date".into());
                    out.push(format!("Goal {name}: step {} is now {by}.", quoted(&s.what)));
                }
            }
        }
    }
    for o in old.steps.iter().filter(|o| !new.steps.iter().any(|s| s.what == o.what)) {
        out.push(format!("Goal {name}: step {} was removed.", quoted(&o.what)));
    }
}

fn step_tail(s: &Step) -> String {
    match s.by {
        Some(d) => format!(", supported by {}, by {}", s.who_name, d.format("%-d %B %Y")),
        None => format!(", supported by {}", s.who_name),
    }
}

/// Items added to and removed from a list, by their words.
fn list(out: &mut Vec<String>, label: &str, old: &[String], new: &[String]) {
    for n in new.iter().filter(|n| !old.contains(n)) {
        out.push(format!("{label} added: {}.", quoted(n)));
    }
    for o in old.iter().filter(|o| !new.contains(o)) {
        out.push(format!("{label} removed: {}.", quoted(o)));
    }
}

fn contacts(out: &mut Vec<String>, old: &[CrisisContact], new: &[CrisisContact]) {
    for c in new {
        match old.iter().find(|o| o.name == c.name) {
            None => out.push(format!("New person to call: {} on {} ({}).", c.name, c.phone.as_str(), c.hours)),
            Some(o) if o != c => out.push(format!(
                "{}'s contact details changed: now {} ({}), was {} ({}).",
                c.name,
                c.phone.as_str(),
                c.hours,
                o.phone.as_str(),
                o.hours
            )),
            Some(_) => {}
        }
    }
    for o in old.iter().filter(|o| !new.iter().any(|c| c.name == o.name)) {
        out.push(format!("{} is no longer on the list of people to call.", o.name));
    }
}

fn mandates(out: &mut Vec<String>, old: &[Mandate], new: &[Mandate]) {
    for m in new.iter().filter(|m| !old.contains(m)) {
        out.push(format!("Recorded: {}: {} (kept at: {}).", m.kind.label(), m.says, m.kept_at));
    }
    for o in old.iter().filter(|o| !new.contains(o)) {
        out.push(format!("No longer recorded as it was: {}: {}.", o.kind.label(), o.says));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Achievement, PhoneNumber, ReviewInterval};
    use crate::tasks::Owner;
    use crate::themes::Voice;
    use chrono::NaiveDate;

    fn plan() -> PlanContent {
        let mut p = PlanContent::default();
        p.goals.push(Goal {
            id: uuid::Uuid::from_u128(1),
            what_matters: "My friends".into(),
            achieve: "Go to the Thursday club".into(),
            voice: Voice::OwnWords,
            steps: vec![Step {
                what: "Learn the bus route".into(),
                who: Owner::Person,
                who_name: "Aisha".into(),
                by: None,
            }],
            commitment: None,
            themes: vec![],
            problems: vec![],
            achievement: Achievement::Working,
            revision: 1,
        });
        p.escalation.contacts.push(CrisisContact {
            name: "Rita".into(),
            role: "Mum".into(),
            phone: PhoneNumber::try_from("07700 900123".to_string()).expect("valid"),
            hours: "Any time".into(),
        });
        p
    }

    #[test]
    fn the_same_plan_has_no_changes() {
        assert!(describe(&plan(), &plan()).is_empty());
    }

    #[test]
    fn changes_read_as_plain_sentences() {
        let old = plan();
        let mut new = plan();
        new.goals[0].achievement = Achievement::Achieved;
        new.goals[0].steps[0].by = NaiveDate::from_ymd_opt(2027, 1, 15);
        new.goals[0].steps.push(Step {
            what: "Buy a bus pass".into(),
            who: Owner::Person,
            who_name: "Aisha".into(),
            by: None,
        });
        new.escalation.warning_signs.push("Stops eating".into());
        new.escalation.contacts[0].phone = PhoneNumber::try_from("0161 496 0000".to_string()).expect("valid");
        new.review_months = ReviewInterval::try_from(6).expect("valid");
        let changes = describe(&old, &new);
        assert_eq!(
            changes,
            vec![
                "Goal \u{201c}Go to the Thursday club\u{201d} went from \u{201c}Working on it\u{201d} to \u{201c}Achieved\u{201d}.",
                "Goal \u{201c}Go to the Thursday club\u{201d}: step \u{201c}Learn the bus route\u{201d} is now due by 15 January 2027.",
                "Goal \u{201c}Go to the Thursday club\u{201d}: new step \u{201c}Buy a bus pass\u{201d}, supported by Aisha.",
                "Early warning sign added: \u{201c}Stops eating\u{201d}.",
                "Rita's contact details changed: now 0161 496 0000 (Any time), was 07700 900123 (Any time).",
                "The plan is now reviewed every 6 months (was every year).",
            ]
        );
        let removed = describe(&new, &PlanContent::default());
        assert!(removed.contains(&"Goal removed: \u{201c}Go to the Thursday club\u{201d}.".to_string()));
        assert!(removed.contains(&"Rita is no longer on the list of people to call.".to_string()));
    }
}
