//! "Today" for a team: what needs attention across its open cases. Each list is one query (or
//! two), however many cases the team holds.

use crate::audit::{AuditContext, record};
use crate::db::Db;
use crate::error::StoreError;
use carethread_domain::policy::Principal;
use carethread_domain::reviews::{Headline, Tally, Vote};
use carethread_domain::themes::Theme;
use carethread_domain::{AuditAction, PersonId, TeamId};
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct ReviewDue {
    pub person_id: PersonId,
    pub person_name: String,
    pub review_id: Uuid,
    pub at: NaiveDateTime,
    pub kind: String,
}

#[derive(Clone, Debug)]
pub struct OverdueTask {
    pub person_id: PersonId,
    pub person_name: String,
    pub title: String,
    pub due: NaiveDate,
}

#[derive(Clone, Debug)]
pub struct SlippedBack {
    pub person_id: PersonId,
    pub person_name: String,
    pub review_at: NaiveDateTime,
    pub themes: Vec<Theme>,
}

#[derive(Clone, Debug)]
pub struct ReviewOverdue {
    pub person_id: PersonId,
    pub person_name: String,
    /// The last signed-off review, if there ever was one.
    pub last_review: Option<NaiveDateTime>,
    pub every_weeks: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct Today {
    pub reviews_this_week: Vec<ReviewDue>,
    pub overdue_tasks: Vec<OverdueTask>,
    pub slipped_back: Vec<SlippedBack>,
    pub no_review_in_period: Vec<ReviewOverdue>,
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    person_id: Uuid,
    given_name: String,
    family_name: String,
    preferred_name: Option<String>,
    review_id: Uuid,
    scheduled_for: NaiveDateTime,
    kind: String,
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    person_id: Uuid,
    given_name: String,
    family_name: String,
    preferred_name: Option<String>,
    review_every_weeks: Option<i64>,
    latest_review: Option<Uuid>,
    latest_at: Option<NaiveDateTime>,
}

fn name(given: &str, family: &str, preferred: &Option<String>) -> String {
    format!("{} {family}", preferred.as_deref().unwrap_or(given))
}

/// The team's day. `team` None means every team of the organisation. Reading it lists named
/// people, so one audit entry records the view.
pub async fn for_team(
    db: &Db,
    ctx: &AuditContext,
    who: &Principal,
    team: Option<TeamId>,
    today: NaiveDate,
) -> Result<Today, StoreError> {
    let org = who.org_id;
    let team = team.map(|t| t.as_uuid());
    let (me, my_team) = (who.user_id.as_uuid(), who.team_id.map(|t| t.as_uuid()));
    // Open cases of the team (or of every team) that the asker has a working relationship
    // with, as a filter on people p / cases c; the asker's ids are the parameters after `first`.
    let scope = |first: u8| {
        format!(
            "c.org_id = $1 AND c.status = 'open' AND ($2 IS NULL OR c.team_id = $2) AND {}",
            crate::access::related(first, first + 1)
        )
    };
    let week_end = today + chrono::Duration::days(7);
    let reviews: Vec<ReviewRow> = on_pool!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT p.id AS person_id, p.given_name, p.family_name, p.preferred_name, r.id AS review_id, r.scheduled_for, r.kind \
             FROM reviews r JOIN people p ON p.id = r.person_id JOIN cases c ON c.person_id = p.id \
             WHERE {} AND r.status = 'scheduled' AND r.scheduled_for >= $3 AND r.scheduled_for < $4 \
             ORDER BY r.scheduled_for LIMIT 500",
            scope(5)
        )))
        .bind(org.as_uuid())
        .bind(team)
        .bind(today.and_hms_opt(0, 0, 0).unwrap_or_default())
        .bind(week_end.and_hms_opt(0, 0, 0).unwrap_or_default())
        .bind(me)
        .bind(my_team)
        .fetch_all(p)
        .await
    })?;
    let tasks: Vec<(Uuid, String, String, Option<String>, String, NaiveDate)> =
        on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT p.id, p.given_name, p.family_name, p.preferred_name, t.title, t.due_on \
             FROM tasks t JOIN people p ON p.id = t.person_id JOIN cases c ON c.person_id = p.id \
             WHERE {} AND t.status NOT IN ('done', 'cancelled') AND t.due_on < $3 ORDER BY t.due_on LIMIT 500",
            scope(4)
        )))
        .bind(org.as_uuid())
        .bind(team)
        .bind(today)
        .bind(me)
        .bind(my_team)
        .fetch_all(p)
        .await)?;
    // Each open case with its review plan and its latest signed-off review.
    let cases: Vec<CaseRow> = on_pool!(db, |p| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT p.id AS person_id, p.given_name, p.family_name, p.preferred_name, c.review_every_weeks, \
             (SELECT r.id FROM reviews r WHERE r.person_id = p.id AND r.status = 'signed-off' ORDER BY r.scheduled_for DESC, r.id DESC LIMIT 1) AS latest_review, \
             (SELECT MAX(r.scheduled_for) FROM reviews r WHERE r.person_id = p.id AND r.status = 'signed-off') AS latest_at \
             FROM people p JOIN cases c ON c.person_id = p.id WHERE {} ORDER BY p.family_name, p.given_name",
            scope(3)
        )))
        .bind(org.as_uuid())
        .bind(team)
        .bind(me)
        .bind(my_team)
        .fetch_all(p)
        .await
    })?;
    let latest: Vec<Uuid> = cases.iter().filter_map(|c| c.latest_review).collect();
    let mut votes_by: HashMap<Uuid, Vec<(String, String)>> = HashMap::new();
    // Chunked so the parameter list stays well inside both databases' limits.
    for chunk in latest.chunks(500) {
        let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT review_id, theme, vote FROM review_votes WHERE review_id IN ({})", params.join(", "));
        let rows: Vec<(Uuid, String, String)> = on_pool!(db, |p| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(p).await
        })?;
        for (review, theme, vote) in rows {
            votes_by.entry(review).or_default().push((theme, vote));
        }
    }
    let mut out = Today {
        reviews_this_week: reviews
            .into_iter()
            .map(|r| ReviewDue {
                person_id: PersonId::from_uuid(r.person_id),
                person_name: name(&r.given_name, &r.family_name, &r.preferred_name),
                review_id: r.review_id,
                at: r.scheduled_for,
                kind: r
                    .kind
                    .parse::<carethread_domain::reviews::ReviewKind>()
                    .map(|k| k.label().to_string())
                    .unwrap_or(r.kind),
            })
            .collect(),
        overdue_tasks: tasks
            .into_iter()
            .map(|(id, g, f, pn, title, due)| OverdueTask {
                person_id: PersonId::from_uuid(id),
                person_name: name(&g, &f, &pn),
                title,
                due,
            })
            .collect(),
        ..Today::default()
    };
    for case in cases {
        let CaseRow { person_id: id, review_every_weeks: every_weeks, latest_review, latest_at: last_at, .. } = case;
        let person_name = name(&case.given_name, &case.family_name, &case.preferred_name);
        if let (Some(review), Some(at)) = (latest_review, last_at) {
            let mut tallies: HashMap<Theme, Tally> = HashMap::new();
            for (theme, vote) in votes_by.get(&review).map(Vec::as_slice).unwrap_or(&[]) {
                let theme: Theme = theme.parse().map_err(StoreError::Corrupt)?;
                let vote: Vote = vote.parse().map_err(StoreError::Corrupt)?;
                tallies.entry(theme).or_default().add(vote);
            }
            let themes: Vec<Theme> = Theme::ALL
                .into_iter()
                .filter(|t| tallies.get(t).map(Tally::headline) == Some(Headline::Clear(Vote::SlippedBack)))
                .collect();
            if !themes.is_empty() {
                out.slipped_back.push(SlippedBack {
                    person_id: PersonId::from_uuid(id),
                    person_name: person_name.clone(),
                    review_at: at,
                    themes,
                });
            }
        }
        // No review within the agreed period (12 weeks when none is agreed yet).
        let period = chrono::Duration::weeks(every_weeks.unwrap_or(12));
        let covered = last_at.is_some_and(|at| at.date() + period >= today);
        if !covered {
            out.no_review_in_period.push(ReviewOverdue {
                person_id: PersonId::from_uuid(id),
                person_name,
                last_review: last_at,
                every_weeks,
            });
        }
    }
    record_view(db, ctx).await?;
    Ok(out)
}

async fn record_view(db: &Db, ctx: &AuditContext) -> Result<(), StoreError> {
    let mut tx = db.read().await?;
    record(&mut tx, ctx, AuditAction::Read, None, "opened a team's Today page").await?;
    tx.commit().await
}
