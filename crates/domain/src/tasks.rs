//! Tasks: the actions agreed for a person's care, each with an owner who may be the person,
//! someone in their circle of support (a supporter, or a community partner organisation), a
//! staff member or a team.
//!
//! A task always has an owner and a status; the types make anything else unrepresentable, and
//! the database repeats the rule in CHECK constraints.

use crate::errors::FieldErrors;
use crate::ids::{TeamId, UserId};
use crate::text::required;
use crate::themes::Theme;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who is to do it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Owner {
    /// The person whose care it is.
    Person,
    /// A member of the circle of support: a supporter, or a partner organisation.
    Member(Uuid),
    Staff(UserId),
    Team(TeamId),
}

impl Owner {
    /// The form value: `person`, `member:ID`, `staff:ID` or `team:ID`.
    pub fn to_value(&self) -> String {
        match self {
            Owner::Person => "person".into(),
            Owner::Member(id) => format!("member:{id}"),
            Owner::Staff(id) => format!("staff:{}", id.as_uuid()),
            Owner::Team(id) => format!("team:{}", id.as_uuid()),
        }
    }

    pub fn parse_value(value: &str) -> Option<Owner> {
        if value == "person" {
            return Some(Owner::Person);
        }
        let (kind, id) = value.split_once(':')?;
        let id: Uuid = id.parse().ok()?;
        match kind {
            "member" => Some(Owner::Member(id)),
            "staff" => Some(Owner::Staff(UserId::from_uuid(id))),
            "team" => Some(Owner::Team(TeamId::from_uuid(id))),
            _ => None,
        }
    }

    /// The stored kind, one of the database's allowed values.
    pub fn kind(&self) -> &'static str {
        match self {
            Owner::Person => "person",
            Owner::Member(_) => "member",
            Owner::Staff(_) => "staff",
            Owner::Team(_) => "team",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskStatus {
    Requested,
    Accepted,
    InProgress,
    Done,
    Cancelled,
    /// Stuck, and why: the reason is required.
    Blocked(String),
}

impl TaskStatus {
    pub const SLUGS: [(&'static str, &'static str); 6] = [
        ("requested", "Requested"),
        ("accepted", "Accepted"),
        ("in-progress", "In progress"),
        ("done", "Done"),
        ("cancelled", "Cancelled"),
        ("blocked", "Blocked"),
    ];

    pub fn slug(&self) -> &'static str {
        match self {
            TaskStatus::Requested => "requested",
            TaskStatus::Accepted => "accepted",
            TaskStatus::InProgress => "in-progress",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
            TaskStatus::Blocked(_) => "blocked",
        }
    }

    pub fn label(&self) -> String {
        match self {
            TaskStatus::Blocked(reason) => format!("Blocked: {reason}"),
            other => TaskStatus::SLUGS
                .iter()
                .find(|(s, _)| *s == other.slug())
                .map(|(_, l)| l.to_string())
                .unwrap_or_default(),
        }
    }

    /// Still to be done: counts towards open and overdue tasks.
    pub fn is_open(&self) -> bool {
        !matches!(self, TaskStatus::Done | TaskStatus::Cancelled)
    }

    /// Rebuilds a stored status; `None` if the stored values break the rules.
    pub fn from_stored(slug: &str, blocked_reason: Option<String>) -> Option<TaskStatus> {
        Some(match (slug, blocked_reason) {
            ("requested", None) => TaskStatus::Requested,
            ("accepted", None) => TaskStatus::Accepted,
            ("in-progress", None) => TaskStatus::InProgress,
            ("done", None) => TaskStatus::Done,
            ("cancelled", None) => TaskStatus::Cancelled,
            ("blocked", Some(r)) => TaskStatus::Blocked(r),
            _ => return None,
        })
    }

    pub fn blocked_reason(&self) -> Option<&str> {
        match self {
            TaskStatus::Blocked(r) => Some(r),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDetails {
    pub title: String,
    pub owner: Owner,
    pub due: NaiveDate,
    /// The theme it serves, if any.
    pub theme: Option<Theme>,
    pub status: TaskStatus,
}

impl TaskDetails {
    /// Past its due date and still open.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status.is_open() && self.due < today
    }
}

/// The task form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaskInput {
    pub title: String,
    pub owner: String,
    pub due_day: String,
    pub due_month: String,
    pub due_year: String,
    pub theme: String,
    pub status: String,
    pub blocked_reason: String,
}

impl TaskInput {
    /// `owners` are the owners on offer for this case (the form's choices): an owner from
    /// anywhere else, such as another organisation's team, is refused.
    pub fn parse(&self, owners: &[Owner], today: NaiveDate) -> Result<TaskDetails, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = required(&mut errors, "title", "what is to be done", &self.title, 300);
        let owner = Owner::parse_value(self.owner.trim()).filter(|o| owners.contains(o));
        if owner.is_none() {
            errors.add("owner", "Choose who will do it from the list.");
        }
        let mut date_errors = FieldErrors::new();
        let due = crate::person::parse_date(&mut date_errors, "due", &self.due_day, &self.due_month, &self.due_year);
        for e in date_errors.iter() {
            errors.add("due", format!("Due date: {}", e.message));
        }
        let due = match due {
            Some(d) if d < today - chrono::Duration::days(366) || d > today + chrono::Duration::days(731) => {
                errors.add("due", "The due date must be within a year back and two years ahead.");
                None
            }
            other => other,
        };
        let theme = match self.theme.trim() {
            "" => None,
            slug => match slug.parse::<Theme>() {
                Ok(t) => Some(t),
                Err(_) => {
                    errors.add("theme", "Choose a theme from the list, or none.");
                    None
                }
            },
        };
        let status = match self.status.trim() {
            "" | "requested" => Some(TaskStatus::Requested),
            "blocked" => {
                let reason = required(&mut errors, "blocked_reason", "why it is blocked", &self.blocked_reason, 500);
                Some(TaskStatus::Blocked(reason))
            }
            slug => TaskStatus::from_stored(slug, None).or_else(|| {
                errors.add("status", "Choose a status from the list.");
                None
            }),
        };
        match (owner, due, status) {
            (Some(owner), Some(due), Some(status)) if errors.is_empty() => {
                Ok(TaskDetails { title, owner, due, theme, status })
            }
            _ => Err(errors),
        }
    }
}

impl TaskDetails {
    pub fn to_input(&self) -> TaskInput {
        use chrono::Datelike;
        TaskInput {
            title: self.title.clone(),
            owner: self.owner.to_value(),
            due_day: self.due.day().to_string(),
            due_month: self.due.month().to_string(),
            due_year: self.due.year().to_string(),
            theme: self.theme.map(|t| t.slug().to_string()).unwrap_or_default(),
            status: self.status.slug().into(),
            blocked_reason: self.status.blocked_reason().unwrap_or_default().into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    fn input(owner: &str) -> TaskInput {
        TaskInput {
            title: "Book the bus pass appointment".into(),
            owner: owner.into(),
            due_day: "10".into(),
            due_month: "12".into(),
            due_year: "2026".into(),
            ..TaskInput::default()
        }
    }

    #[test]
    fn owners_round_trip_and_only_offered_owners_are_accepted() {
        let team = TeamId::new();
        let member = Uuid::now_v7();
        let offered = [Owner::Person, Owner::Team(team), Owner::Member(member)];
        for o in offered {
            assert_eq!(Owner::parse_value(&o.to_value()), Some(o));
        }
        let parsed = input(&Owner::Team(team).to_value()).parse(&offered, today()).expect("valid");
        assert_eq!((parsed.owner, parsed.status.clone()), (Owner::Team(team), TaskStatus::Requested));
        let elsewhere = Owner::Team(TeamId::new()).to_value();
        assert!(input(&elsewhere).parse(&offered, today()).expect_err("not offered").get("owner").is_some());
        assert!(input("nobody").parse(&offered, today()).expect_err("garbage").get("owner").is_some());
    }

    #[test]
    fn blocked_needs_a_reason_and_overdue_means_open_and_late() {
        let blocked = TaskInput { status: "blocked".into(), ..input("person") };
        assert!(blocked.parse(&[Owner::Person], today()).expect_err("no reason").get("blocked_reason").is_some());
        let with_reason = TaskInput { blocked_reason: "Waiting for the council".into(), ..blocked };
        let t = with_reason.parse(&[Owner::Person], today()).expect("valid");
        assert_eq!(t.status, TaskStatus::Blocked("Waiting for the council".into()));
        assert_eq!(t.to_input().parse(&[Owner::Person], today()), Ok(t.clone()));
        let late = TaskDetails { due: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"), ..t };
        assert!(late.is_overdue(today()));
        assert!(!TaskDetails { status: TaskStatus::Done, ..late }.is_overdue(today()));
    }

    #[test]
    fn a_task_needs_words_an_owner_and_a_real_due_date() {
        let errors = TaskInput::default().parse(&[Owner::Person], today()).expect_err("empty");
        for f in ["title", "owner", "due"] {
            assert!(errors.get(f).is_some(), "{f}: {errors}");
        }
        assert_eq!(TaskStatus::from_stored("blocked", None), None, "a stored blocked task without a reason is corrupt");
    }
}
