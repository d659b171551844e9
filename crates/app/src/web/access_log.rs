//! "Who has looked at my record": the person (and their team) can see, in plain words, every
//! time someone opened the record or was refused, from the audit log.

use crate::auth::{RequestMeta, Viewer};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::layout::Layout;
use crate::web::people::authorise;
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use carethread_domain::Role;
use carethread_domain::policy::Action;
use carethread_store::audit::{self, Look};

/// The most recent looks shown; older ones stay in the audit log.
const SHOWN: i64 = 200;

pub fn router() -> Routes<AppState> {
    routes! {
        "/people/{id}/looks" => get(looks_page),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "looks.html")]
struct LooksPage {
    layout: Layout,
    /// The person reading about their own record.
    own: bool,
    name: String,
    looks: Vec<Look>,
}

impl LooksPage {
    /// The audit detail as a sentence: its first letter capitalised, the rest as written.
    fn sentence(&self, detail: &str) -> String {
        let mut c = detail.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
    }

    fn role_label(&self, slug: &str) -> &'static str {
        slug.parse::<Role>().map(|r| r.label()).unwrap_or("Other")
    }
}

async fn looks_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::ReadPerson, &id).await?;
    let ctx = viewer.audit(&meta);
    let record = carethread_store::people::read(&state.db, &ctx, id, "opened who has seen the record").await?;
    let own = viewer.user.person() == Some(id);
    let title = if own {
        "Who has looked at my record".to_string()
    } else {
        format!("Who has looked at the record of {}", record.details.display_name())
    };
    Ok(LooksPage {
        layout: Layout::new(&viewer, title, ""),
        own,
        name: record.details.display_name(),
        looks: audit::looks_at(&state.db, &ctx, id, SHOWN).await?,
    }
    .into_response())
}
