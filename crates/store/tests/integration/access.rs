//! Access beyond the team, on the backend under test: how the store finds an asker's ties to a
//! record, emergency (break-glass) access from start to expiry and review, what consents share
//! with a supporter (and stop sharing once withdrawn), and single-use supporter invitations.

use crate::common::{ctx, holding_team_member, org_with_person};
use carethread_domain::circle::{Involvement, MemberDetails, Source};
use carethread_domain::plan::consent::{ConsentDetails, ConsentGiven, Section, ShareScope, ShareWith};
use carethread_domain::policy::{Action, Principal, decide};
use carethread_domain::themes::Theme;
use carethread_domain::{AuditAction, Role, UserId, Username};
use carethread_store::break_glass::{self, Reason, Scope, Verdict};
use carethread_store::invites::{self, NewSupporter, RedeemError};
use carethread_store::{AuditContext, Db, access, accounts, audit, plans, testing, themes};
use chrono::NaiveDate;

fn as_ctx(p: &Principal, username: &str) -> AuditContext {
    AuditContext {
        org_id: Some(p.org_id),
        user_id: Some(p.user_id),
        username: username.into(),
        role: p.role.as_str().into(),
        ip: "127.0.0.1".into(),
        request_id: "test".into(),
    }
}

fn today() -> NaiveDate {
    carethread_store::now().date_naive()
}

fn mum() -> MemberDetails {
    MemberDetails {
        name: "Rita".into(),
        relationship: "Mum".into(),
        organisation: None,
        contact: None,
        source: Source::PersonalNetwork,
        involvement: Involvement::Core,
        brings: None,
    }
}

async fn entries_of(db: &Db, action: AuditAction) -> Vec<audit::AuditEntry> {
    let filter = audit::AuditFilter::default();
    let (rows, _) = audit::browse(db, &AuditContext::command_line("test"), &filter, 0).await.expect("browse");
    rows.into_iter().filter(|e| e.action == action.as_str()).collect()
}

#[tokio::test]
async fn staff_are_tied_to_a_record_by_team_or_circle_and_otherwise_only_by_emergency_access() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let team = holding_team_member(&db, org, &[person]).await;
    let outsider = holding_team_member(&db, org, &[]).await;

    let t = access::target(&db, &team, person, today()).await.expect("ran").expect("exists");
    assert!(t.ties.holding_team && !t.ties.key_worker && !t.ties.break_glass);
    assert!(decide(&team, Action::ReadPerson, Some(&t)).is_allowed());
    let t = access::target(&db, &outsider, person, today()).await.expect("ran").expect("exists");
    assert!(!t.ties.working_relationship());
    assert!(!decide(&outsider, Action::ReadPerson, Some(&t)).is_allowed());
    assert!(decide(&outsider, Action::BreakGlass, Some(&t)).is_allowed());

    // Named in the circle of support by account: a working relationship.
    let username = accounts::user_by_id(&db, outsider.user_id).await.expect("ran").expect("user").username;
    themes::add_member(&db, &ctx(Some(org), "kw"), person, &mum(), Some(&username)).await.expect("member");
    let t = access::target(&db, &outsider, person, today()).await.expect("ran").expect("exists");
    assert!(t.ties.in_circle && decide(&outsider, Action::EditPerson, Some(&t)).is_allowed());

    let nobody = carethread_domain::PersonId::new();
    assert!(access::target(&db, &team, nobody, today()).await.expect("ran").is_none());
}

#[tokio::test]
async fn emergency_access_is_time_boxed_audited_at_both_ends_and_reviewed_by_someone_else() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let clinician = holding_team_member(&db, org, &[]).await;
    let c = as_ctx(&clinician, "clinician");
    assert!(Reason::parse("   ").is_err());
    assert!(Reason::parse("need it").is_err(), "too short to say why");
    assert!(Reason::parse(&"x".repeat(501)).is_err());
    let reason = Reason::parse("Seen in A&E after a fall; need the crisis plan").expect("valid");

    // The session id changes with it.
    testing::execute_raw(
        &db,
        &format!(
            "INSERT INTO sessions (id, org_id, user_id, token_hash, csrf_token, created_at, last_seen_at) \
             VALUES ({}, {}, {}, 'old-hash', 'old-csrf', '2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z')",
            sql_uuid(&db, uuid::Uuid::now_v7()),
            sql_uuid(&db, org.as_uuid()),
            sql_uuid(&db, clinician.user_id.as_uuid())
        ),
    )
    .await
    .expect("session");
    let rotation =
        break_glass::Rotation { old_token_hash: "old-hash", new_token_hash: "new-hash", new_csrf: "new-csrf" };
    let until = break_glass::start(&db, &c, person, &reason, Some(rotation)).await.expect("started");
    let hours = (until - carethread_store::now()).num_minutes();
    assert!((239..=240).contains(&hours), "four hours by default, was {hours} minutes");
    assert!(carethread_store::sessions::find(&db, "old-hash").await.expect("ran").is_none(), "old id dead");
    assert!(carethread_store::sessions::find(&db, "new-hash").await.expect("ran").is_some());

    let t = access::target(&db, &clinician, person, today()).await.expect("ran").expect("exists");
    assert!(t.ties.break_glass);
    assert!(decide(&clinician, Action::ReadPerson, Some(&t)).is_allowed());
    assert!(!decide(&clinician, Action::EditPerson, Some(&t)).is_allowed(), "read only");
    assert_eq!(break_glass::active_until(&db, clinician.user_id, person).await.expect("ran"), Some(until));
    let started = entries_of(&db, AuditAction::BreakGlassStart).await;
    assert_eq!(started.len(), 1);
    assert!(started[0].detail.contains("Seen in A&E after a fall"), "{}", started[0].detail);
    assert_eq!(started[0].person_id, Some(person.as_uuid()));

    // The person sees it in their access log, flagged.
    let looks = audit::looks_at(&db, &ctx(Some(org), "person"), person, 50).await.expect("looks");
    assert!(looks.iter().any(|l| l.emergency()), "the person sees the emergency access");

    // Time runs out: access stops at once, and the sweep records the end.
    testing::execute_raw(
        &db,
        "UPDATE break_glass_grants SET started_at = '2026-01-01T08:00:00Z', expires_at = '2026-01-01T12:00:00Z'",
    )
    .await
    .expect("backdate");
    let t = access::target(&db, &clinician, person, today()).await.expect("ran").expect("exists");
    assert!(!t.ties.break_glass && !decide(&clinician, Action::ReadPerson, Some(&t)).is_allowed());
    assert_eq!(break_glass::close_lapsed(&db).await.expect("swept"), 1);
    assert_eq!(break_glass::close_lapsed(&db).await.expect("swept"), 0, "each end is recorded once");
    let ended = entries_of(&db, AuditAction::BreakGlassEnd).await;
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].user_id, Some(clinician.user_id.as_uuid()), "recorded as the holder's access");

    // Ending one's own access early.
    break_glass::start(&db, &c, person, &reason, None).await.expect("started again");
    assert!(break_glass::end(&db, &c, person).await.expect("ended"));
    assert!(!break_glass::end(&db, &c, person).await.expect("ran"), "nothing left to end");
    assert!(break_glass::active_until(&db, clinician.user_id, person).await.expect("ran").is_none());

    // Review: not one's own; a concern needs a note; once only.
    let queue = break_glass::queue(&db, &c, org, Scope::Organisation).await.expect("queue");
    assert_eq!(queue.len(), 2);
    let grant = queue[0].id;
    assert!(
        break_glass::review(&db, &c, org, Scope::Organisation, grant, Verdict::Justified, "")
            .await
            .expect("ran")
            .is_err()
    );
    let manager = holding_team_member(&db, org, &[]).await;
    let m = as_ctx(&manager, "manager");
    // A manager of an unrelated team neither sees nor reviews it; the holder's own team does.
    let elsewhere = Scope::Team(manager.team_id);
    assert!(break_glass::queue(&db, &m, org, elsewhere).await.expect("queue").is_empty());
    assert!(break_glass::review(&db, &m, org, elsewhere, grant, Verdict::Justified, "").await.expect("ran").is_err());
    assert_eq!(break_glass::queue(&db, &m, org, Scope::Team(clinician.team_id)).await.expect("queue").len(), 2);
    assert!(
        break_glass::review(&db, &m, org, Scope::Organisation, grant, Verdict::Concern, " ")
            .await
            .expect("ran")
            .is_err()
    );
    break_glass::review(&db, &m, org, Scope::Organisation, grant, Verdict::Concern, "No A&E attendance that day")
        .await
        .expect("ran")
        .expect("ok");
    assert!(
        break_glass::review(&db, &m, org, Scope::Organisation, grant, Verdict::Justified, "")
            .await
            .expect("ran")
            .is_err(),
        "once"
    );
    let other_org = carethread_domain::OrgId::new();
    assert!(
        break_glass::review(&db, &m, other_org, Scope::Organisation, queue[1].id, Verdict::Justified, "")
            .await
            .expect("ran")
            .is_err()
    );
    let queue = break_glass::queue(&db, &m, org, Scope::Organisation).await.expect("queue");
    assert!(queue[0].reviewed_at.is_none(), "waiting reviews come first");
    assert_eq!(queue[1].verdict(), Some(Verdict::Concern));
}

/// A UUID literal in the backend's own SQL.
fn sql_uuid(db: &Db, id: uuid::Uuid) -> String {
    match db.backend() {
        carethread_store::Backend::Sqlite => format!("X'{}'", id.simple()),
        carethread_store::Backend::Postgres => format!("'{id}'"),
    }
}

async fn supporter_account(db: &Db, org: carethread_domain::OrgId, name: &str) -> Principal {
    let username: Username = name.parse().expect("username");
    let admin = AuditContext { org_id: Some(org), ..AuditContext::command_line("test") };
    let user = accounts::create_user(
        db,
        &admin,
        accounts::NewUser {
            org_id: org,
            username: &username,
            display_name: "Rita",
            role: Role::Supporter,
            team_id: None,
            person_id: None,
            password_hash: None,
        },
    )
    .await
    .expect("user");
    Principal { user_id: user, org_id: org, role: Role::Supporter, team_id: None, person_id: None }
}

#[tokio::test]
async fn a_supporter_sees_only_what_a_consent_in_force_shares_and_nothing_once_it_is_withdrawn() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");
    let rita = supporter_account(&db, org, "rita").await;
    let member = themes::add_member(&db, &c, person, &mum(), Some("rita")).await.expect("member");
    let t = access::target(&db, &rita, person, today()).await.expect("ran").expect("exists");
    assert!(t.ties.shared.is_empty(), "being in the circle shares nothing by itself");
    assert!(!decide(&rita, Action::ReadSection(Section::Escalation), Some(&t)).is_allowed());
    assert!(access::sharing_with(&db, &as_ctx(&rita, "rita"), &rita, today()).await.expect("ran").is_empty());

    let consent = ConsentDetails {
        with: ShareWith::Member { id: member, name: "Rita (Mum)".into() },
        scope: ShareScope::Sections(vec![Section::Escalation, Section::Theme(Theme::AboutMe)]),
        purpose: "So Mum can help in a crisis".into(),
        from: today(),
        until: None,
        given: ConsentGiven::Verbal,
    };
    let id = plans::add_consent(&db, &c, person, &consent).await.expect("recorded");
    // A lapsed consent shares nothing either.
    let lapsed = ConsentDetails {
        scope: ShareScope::WholePlan,
        from: "2025-01-01".parse().expect("date"),
        until: Some("2025-12-31".parse().expect("date")),
        ..consent.clone()
    };
    plans::add_consent(&db, &c, person, &lapsed).await.expect("recorded");

    let t = access::target(&db, &rita, person, today()).await.expect("ran").expect("exists");
    assert_eq!(t.ties.shared, vec![Section::Escalation, Section::Theme(Theme::AboutMe)]);
    assert!(decide(&rita, Action::ReadSection(Section::Escalation), Some(&t)).is_allowed());
    assert!(!decide(&rita, Action::ReadSection(Section::Goals), Some(&t)).is_allowed());
    assert!(!decide(&rita, Action::ReadPerson, Some(&t)).is_allowed());
    let sharers = access::sharing_with(&db, &as_ctx(&rita, "rita"), &rita, today()).await.expect("ran");
    assert_eq!(sharers.len(), 1);
    assert_eq!(sharers[0].name, "Sam Okafor");

    // Another supporter of the same organisation, not in the circle, gets nothing.
    let stranger = supporter_account(&db, org, "stranger").await;
    let t = access::target(&db, &stranger, person, today()).await.expect("ran").expect("exists");
    assert!(t.ties.shared.is_empty());

    plans::withdraw_consent(&db, &c, person, id, today(), "The person asked").await.expect("withdrawn");
    let t = access::target(&db, &rita, person, today()).await.expect("ran").expect("exists");
    assert!(t.ties.shared.is_empty(), "withdrawal takes effect at once");
    assert!(!decide(&rita, Action::ReadSection(Section::Escalation), Some(&t)).is_allowed());
    assert!(access::sharing_with(&db, &as_ctx(&rita, "rita"), &rita, today()).await.expect("ran").is_empty());
}

fn new_supporter<'a>(username: &'a Username) -> NewSupporter<'a> {
    NewSupporter { username, display_name: "Marcus Okafor", password_hash: "$argon2id$not-a-real-hash" }
}

#[tokio::test]
async fn an_invitation_works_once_for_one_member_and_a_newer_one_replaces_it() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let staff = holding_team_member(&db, org, &[person]).await;
    let c = as_ctx(&staff, "kw");
    let brother = MemberDetails { name: "Marcus".into(), relationship: "Brother".into(), ..mum() };
    let member = themes::add_member(&db, &c, person, &brother, None).await.expect("member");
    let visitor = AuditContext { org_id: None, ..AuditContext::command_line("visitor") };

    let first = invites::create(&db, &c, person, member, "hash-1").await.expect("invited");
    assert!(first > carethread_store::now() + chrono::Duration::days(6));
    assert!(invites::lookup(&db, "hash-1").await.expect("ran").is_some());
    // A second invitation for the same member: the first stops working.
    invites::create(&db, &c, person, member, "hash-2").await.expect("invited");
    assert!(invites::lookup(&db, "hash-1").await.expect("ran").is_none());
    let marcus: Username = "marcus".parse().expect("username");
    assert_eq!(
        invites::redeem(&db, &visitor, "hash-1", new_supporter(&marcus)).await.expect("ran"),
        Err(RedeemError::NotValid)
    );
    assert!(accounts::user_by_username(&db, "marcus").await.expect("ran").is_none(), "nothing written");

    // A taken username: refused, and the invitation still works.
    let taken: Username =
        accounts::user_by_id(&db, staff.user_id).await.expect("ran").expect("user").username.parse().expect("u");
    assert_eq!(
        invites::redeem(&db, &visitor, "hash-2", new_supporter(&taken)).await.expect("ran"),
        Err(RedeemError::UsernameTaken)
    );
    let invitation = invites::lookup(&db, "hash-2").await.expect("ran").expect("still usable");
    assert_eq!(invitation.member_name(), "Marcus");
    assert_eq!(invitation.person_first_name(), "Sam");

    let user: UserId =
        invites::redeem(&db, &visitor, "hash-2", new_supporter(&marcus)).await.expect("ran").expect("ok");
    let row = accounts::user_by_id(&db, user).await.expect("ran").expect("user");
    assert_eq!(row.role, "supporter");
    assert_eq!(row.org(), org);
    let members = themes::members(&db, &c, person).await.expect("members");
    assert_eq!(members.iter().find(|m| m.id == member).and_then(|m| m.account_id), Some(user), "linked");
    let again: Username = "marcus2".parse().expect("username");
    assert_eq!(
        invites::redeem(&db, &visitor, "hash-2", new_supporter(&again)).await.expect("ran"),
        Err(RedeemError::NotValid),
        "single use"
    );
    // The member now signs in: no further invitation is needed.
    assert!(invites::create(&db, &c, person, member, "hash-3").await.is_err());
    let accepted = entries_of(&db, AuditAction::Invite).await;
    assert_eq!(accepted.len(), 3, "two invitations made and one accepted");

    // Expired invitations do not work.
    let sister = MemberDetails { name: "Ama".into(), relationship: "Sister".into(), ..mum() };
    let other = themes::add_member(&db, &c, person, &sister, None).await.expect("member");
    invites::create(&db, &c, person, other, "hash-4").await.expect("invited");
    testing::execute_raw(&db, "UPDATE supporter_invites SET created_at = '2026-01-01T00:00:00Z', expires_at = '2026-01-08T00:00:00Z' WHERE used_at IS NULL AND cancelled_at IS NULL")
        .await
        .expect("backdate");
    let ama: Username = "ama".parse().expect("username");
    assert_eq!(
        invites::redeem(&db, &visitor, "hash-4", new_supporter(&ama)).await.expect("ran"),
        Err(RedeemError::NotValid)
    );
}
