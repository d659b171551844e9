//! Counts for the organisation's figures page. Nothing here returns a name or a record id that
//! leaves the store: only team names and numbers (suppression of small numbers is the domain's).

use crate::audit::{AuditContext, record};
use crate::db::Db;
use crate::error::StoreError;
use carethread_domain::reviews::{Tally, Vote};
use carethread_domain::themes::Theme;
use carethread_domain::{AuditAction, OrgId, TeamId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Per team (or "No team"): open cases, and reviews signed off in the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamCounts {
    pub team: String,
    pub open_cases: u64,
    pub reviews: u64,
}

/// What the figures page shows for one period.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub teams: Vec<TeamCounts>,
    /// Each signed-off review's tallies, per theme, for the outcome distributions.
    pub reviews: Vec<Vec<(Theme, Tally)>>,
}

/// The figures of `org` (or one of its teams) for reviews signed off in `[from, until)`. The
/// look is audited, with no person named.
pub async fn figures(
    db: &Db,
    ctx: &AuditContext,
    org: OrgId,
    team: Option<TeamId>,
    (from, until): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Figures, StoreError> {
    let mut tx = db.read().await?;
    let team_id = team.map(|t| t.as_uuid());
    let open: Vec<(Option<String>, i64)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT t.name, COUNT(*) FROM cases c LEFT JOIN teams t ON t.id = c.team_id \
         WHERE c.org_id = $1 AND c.status = 'open' AND ($2 IS NULL OR c.team_id = $2) GROUP BY t.name ORDER BY t.name"
    )
    .bind(org.as_uuid())
    .bind(team_id)
    .fetch_all(c)
    .await)?;
    let reviewed: Vec<(Option<String>, i64)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT t.name, COUNT(*) FROM reviews r JOIN cases c ON c.person_id = r.person_id \
         LEFT JOIN teams t ON t.id = c.team_id \
         WHERE r.org_id = $1 AND r.status = 'signed-off' AND r.signed_off_at >= $2 AND r.signed_off_at < $3 \
         AND ($4 IS NULL OR c.team_id = $4) GROUP BY t.name ORDER BY t.name"
    )
    .bind(org.as_uuid())
    .bind(from)
    .bind(until)
    .bind(team_id)
    .fetch_all(c)
    .await)?;
    let votes: Vec<(Uuid, String, String, i64)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT v.review_id, v.theme, v.vote, COUNT(*) FROM review_votes v JOIN reviews r ON r.id = v.review_id \
         JOIN cases c ON c.person_id = r.person_id \
         WHERE r.org_id = $1 AND r.status = 'signed-off' AND r.signed_off_at >= $2 AND r.signed_off_at < $3 \
         AND ($4 IS NULL OR c.team_id = $4) GROUP BY v.review_id, v.theme, v.vote ORDER BY v.review_id"
    )
    .bind(org.as_uuid())
    .bind(from)
    .bind(until)
    .bind(team_id)
    .fetch_all(c)
    .await)?;
    record(&mut tx, ctx, AuditAction::Search, None, "viewed the organisation's figures (no names)").await?;
    tx.commit().await?;

    let name = |t: Option<String>| t.unwrap_or_else(|| "No team".into());
    let mut teams: Vec<TeamCounts> =
        open.into_iter().map(|(t, n)| TeamCounts { team: name(t), open_cases: n.max(0) as u64, reviews: 0 }).collect();
    for (t, n) in reviewed {
        let t = name(t);
        match teams.iter_mut().find(|c| c.team == t) {
            Some(c) => c.reviews = n.max(0) as u64,
            None => teams.push(TeamCounts { team: t, open_cases: 0, reviews: n.max(0) as u64 }),
        }
    }
    let mut reviews: Vec<(Uuid, Vec<(Theme, Tally)>)> = Vec::new();
    for (review, theme, vote, n) in votes {
        let theme: Theme = theme.parse().map_err(StoreError::Corrupt)?;
        let vote: Vote = vote.parse().map_err(|e: String| StoreError::Corrupt(e))?;
        if reviews.last().is_none_or(|(r, _)| *r != review) {
            reviews.push((review, Vec::new()));
        }
        let Some((_, tallies)) = reviews.last_mut() else { continue };
        if !tallies.iter().any(|(t, _)| *t == theme) {
            tallies.push((theme, Tally::default()));
        }
        if let Some((_, tally)) = tallies.iter_mut().find(|(t, _)| *t == theme) {
            for _ in 0..n.max(0) {
                tally.add(vote);
            }
        }
    }
    Ok(Figures { teams, reviews: reviews.into_iter().map(|(_, t)| t).collect() })
}
