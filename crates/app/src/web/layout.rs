//! What every page shares: the header, navigation, the signed-in account, and how times are
//! shown (in the organisation's time zone; stored in UTC).

use crate::auth::Viewer;
use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use carethread_domain::Role;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

tokio::task_local! {
    /// The current request's id, so an error page can show it without every handler passing it.
    pub static REQUEST_ID: String;
    /// The person whose record the request is inside, from the path (see `server::open_record`).
    pub static OPEN_RECORD: Option<carethread_domain::PersonId>;
    /// Set when the record was opened through emergency access: until when it lasts, so every
    /// page of the record says so and offers to end it.
    pub static EMERGENCY_ACCESS: std::cell::Cell<Option<DateTime<Utc>>>;
}

/// Marks this request as reading a record through emergency access (see `EMERGENCY_ACCESS`).
pub fn note_emergency_access(until: Option<DateTime<Utc>>) {
    let _ = EMERGENCY_ACCESS.try_with(|c| c.set(until));
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

pub struct Layout {
    pub title: String,
    /// Display name and role label of the signed-in account.
    pub account: Option<(String, &'static str)>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub tz: Tz,
    /// Large type, short lines and pictograms (see `web::easy_read`).
    pub easy_read: bool,
    /// Inside a person's record that the viewer may see: the record's own links (case map,
    /// plan, crisis plan...), so the crisis plan is never more than one click away.
    pub record: Option<carethread_domain::PersonId>,
    /// The record is open through emergency access, until this time (as shown).
    pub emergency_until: Option<String>,
}

pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Europe::London;

impl Layout {
    /// The layout for a signed-in page; `section` marks the current navigation item.
    pub fn new(viewer: &Viewer, title: impl Into<String>, section: &str) -> Self {
        let mut nav = Vec::new();
        let mut add =
            |href: &'static str, label: &'static str| nav.push(NavItem { href, label, current: href == section });
        if viewer.role.works_with_named_records() {
            add("/today", "Today");
            add("/caseload", "My caseload");
            add("/people", "Find a person");
            add("/people/new", "Register a person");
            add("/plans/quality", "Plan quality");
        }
        if matches!(viewer.role, Role::TeamManager | Role::Admin) {
            add("/emergency-access", "Emergency access");
        }
        if viewer.role == Role::Person {
            add("/me", "My details");
        }
        if viewer.role == Role::Supporter {
            add("/supporting", "People you support");
        }
        if !matches!(viewer.role, Role::Admin | Role::Commissioner) {
            add("/tasks", "My tasks");
        }
        if matches!(viewer.role, Role::Commissioner | Role::TeamManager | Role::Admin) {
            add("/insights", "Figures");
        }
        if viewer.role.is_staff() {
            add("/account/two-factor", "Sign-in security");
        }
        if viewer.role == Role::Admin {
            add("/admin", "Organisations and accounts");
            add("/admin/audit", "Audit log");
        }
        // Only for those who work with named records or the person themselves; the page's own
        // handler has already been through the policy for this record.
        let record = OPEN_RECORD
            .try_with(|r| *r)
            .ok()
            .flatten()
            .filter(|id| viewer.role.works_with_named_records() || viewer.user.person() == Some(*id));
        let tz: Tz = viewer.user.org_time_zone.parse().unwrap_or(DEFAULT_TIME_ZONE);
        let emergency_until = EMERGENCY_ACCESS
            .try_with(|c| c.get())
            .ok()
            .flatten()
            .filter(|_| record.is_some())
            .map(|t| t.with_timezone(&tz).format("%-I:%M%P").to_string());
        Layout {
            record,
            emergency_until,
            title: title.into(),
            account: Some((viewer.user.display_name.clone(), viewer.role.label())),
            csrf: viewer.csrf.clone(),
            nav,
            tz,
            easy_read: false,
        }
    }

    /// The layout for a page seen before signing in.
    pub fn anonymous(title: impl Into<String>, csrf: String) -> Self {
        Layout {
            title: title.into(),
            account: None,
            csrf,
            nav: Vec::new(),
            tz: DEFAULT_TIME_ZONE,
            easy_read: false,
            record: None,
            emergency_until: None,
        }
    }

    /// A stored UTC time as a reader in this organisation expects it: `23 Nov 2026, 4:41pm`.
    pub fn time(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).format("%-d %b %Y, %-I:%M%P").to_string()
    }

    /// Today's date, for flags such as "overdue".
    pub fn today(&self) -> NaiveDate {
        crate::web::current_date()
    }

    pub fn date(&self, d: &NaiveDate) -> String {
        d.format("%-d %B %Y").to_string()
    }
}

/// A page that explains why a request could not be served.
#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPageTemplate {
    pub layout: Layout,
    pub message: String,
    pub request_id: Option<String>,
    /// A way forward, as (link, label).
    pub action: Option<(String, &'static str)>,
}

pub struct ErrorPage {
    status: StatusCode,
    page: ErrorPageTemplate,
}

impl ErrorPage {
    pub fn new(status: StatusCode, title: &str, message: String) -> Self {
        let request_id = REQUEST_ID.try_with(Clone::clone).ok();
        ErrorPage {
            status,
            page: ErrorPageTemplate {
                layout: Layout::anonymous(title, String::new()),
                message,
                request_id,
                action: None,
            },
        }
    }

    pub fn with_action(mut self, href: String, label: &'static str) -> Self {
        self.page.action = Some((href, label));
        self
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        (self.status, self.page).into_response()
    }
}
