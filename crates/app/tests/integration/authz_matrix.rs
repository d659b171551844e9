//! The authorisation matrix: every route the router serves (from `server::route_table`, built
//! from the same lists as the router), for every kind of principal, with the ids in the path,
//! the query and the body swapped for another person's. The outcomes are compared with the
//! table checked in at `tests/authz/expected.tsv`: a route missing from it fails, and so does
//! any unexpected allow or deny. Some rules are also checked on their own, so the table cannot
//! quietly record a leak: people with no relationship to a record never get an answer about it,
//! and a record's sub-resources (a review, an entry...) are never reached through another
//! person's record.
//!
//! After a deliberate change of behaviour, rewrite the table with
//! `CARETHREAD_AUTHZ_BLESS=1 cargo nextest run -p carethread authz_matrix` and read the diff.

use crate::common::TestApp;
use carethread::auth::password;
use carethread::demo;
use carethread::server::route_table;
use carethread::web::routes::Route;
use carethread_domain::{OrgId, PersonId, Role, TeamId, UserId, Username};
use carethread_store::accounts::{self, NewUser};
use carethread_store::break_glass::{self, Reason};
use carethread_store::{AuditContext, Db, plans, reviews, tasks, testing, themes};
use reqwest::{Client, StatusCode};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

const EXPECTED: &str = "tests/authz/expected.tsv";

/// The principals, in the table's column order: (column name, demo or fixture username).
const PRINCIPALS: [(&str, Option<&str>); 14] = [
    ("anonymous", None),
    ("person", Some("demo-person")),
    ("other-person", Some("m-other-person")),
    ("supporter", Some("demo-supporter")),
    ("ex-supporter", Some("m-ex-supporter")),
    ("key-worker", Some("demo-keyworker")),
    ("team-clinician", Some("m-team-clinician")),
    ("other-clinician", Some("demo-clinician")),
    ("team-manager", Some("m-team-manager")),
    ("practice-admin", Some("demo-practice-admin")),
    ("commissioner", Some("demo-commissioner")),
    ("admin", Some("demo-admin")),
    ("glass-active", Some("m-glass-active")),
    ("glass-expired", Some("m-glass-expired")),
];

/// Principals with no relationship to Jordan's record: they must never be answered about it.
const NO_RELATIONSHIP: [&str; 8] = [
    "anonymous",
    "other-person",
    "ex-supporter",
    "other-clinician",
    "practice-admin",
    "commissioner",
    "admin",
    "glass-expired",
];

/// The ids of one person's record and its parts.
#[derive(Clone, Debug)]
struct RecordIds {
    person: PersonId,
    review: String,
    attendee: String,
    entry: String,
    member: String,
    problem: String,
    task: String,
    goal: String,
    /// The plan version in force (or the draft): the id of its CarePlan.
    plan: String,
    /// A vote in one of the reviews: the id of its Observation.
    vote: String,
    /// A review with a prompt sheet (if any has one): the id of its QuestionnaireResponse.
    sheet: String,
    consent: String,
    /// A change to the record: the id of its Provenance.
    change: String,
}

async fn record_ids(db: &Db, person: PersonId) -> RecordIds {
    let c = AuditContext::command_line("matrix set-up");
    let review = reviews::reviews(db, person).await.expect("reviews").first().expect("a review").id;
    let first_review = reviews::review(db, &c, person, review).await.expect("review");
    let attendee = first_review.attendees[0].id;
    let all_reviews = reviews::reviews_in_full(db, &c, person).await.expect("reviews");
    let vote = all_reviews.iter().find_map(|r| r.votes.first()).expect("a vote").id;
    let sheet = all_reviews.iter().find(|r| r.prompt_sheet.is_some()).map_or(review, |r| r.id);
    let entry = themes::shareable_entries(db, &c, person, "set-up").await.expect("entries")[0].id;
    let member = themes::members(db, &c, person).await.expect("members")[0].id;
    let problem = themes::problems(db, &c, person).await.expect("problems")[0].id;
    let task = tasks::for_person(db, &c, person).await.expect("tasks")[0].id;
    let plan = plans::plan(db, &c, person, "set-up").await.expect("plan");
    let version = plan.current().or(plan.draft()).expect("a plan");
    let goal = version.content.goals[0].id;
    let plan_version = version.id;
    let consent = plans::consents(db, &c, person).await.expect("consents")[0].id;
    let change = carethread_store::provenance::of_person(db, &c, person).await.expect("changes")[0].id;
    RecordIds {
        person,
        review: review.to_string(),
        attendee: attendee.to_string(),
        entry: entry.to_string(),
        member: member.to_string(),
        problem: problem.to_string(),
        task: task.to_string(),
        goal: goal.to_string(),
        plan: plan_version.to_string(),
        vote: vote.to_string(),
        sheet: sheet.to_string(),
        consent: consent.to_string(),
        change: change.to_string(),
    }
}

/// Everything the matrix needs beyond the demo: the extra principals and the ids to fill in.
struct Fixture {
    jordan: RecordIds,
    aisha: RecordIds,
    grant: String,
    /// A second organisation, its team and an account: ids from elsewhere, and what an
    /// administrator's empty form may switch off without locking anyone out of the demo.
    other_org: OrgId,
    other_team: TeamId,
    other_user: UserId,
    /// A team and a member of staff of the demo organisation, for the directory.
    team: TeamId,
    staff: UserId,
}

async fn account(
    db: &Db,
    org: OrgId,
    name: &str,
    role: Role,
    team: Option<TeamId>,
    person: Option<PersonId>,
) -> UserId {
    let hash = password::hash(demo::DEMO_PASSWORD.to_string()).await.expect("hash");
    let username: Username = name.parse().expect("username");
    accounts::create_user(
        db,
        &AuditContext { org_id: Some(org), ..AuditContext::command_line("matrix set-up") },
        NewUser {
            org_id: org,
            username: &username,
            display_name: name,
            role,
            team_id: team,
            person_id: person,
            password_hash: Some(&hash),
        },
    )
    .await
    .expect("account")
}

async fn fixture(db: &Db) -> Fixture {
    let org = OrgId::from_uuid(accounts::org_by_name(db, demo::ORG_NAME).await.expect("ran").expect("demo org").id);
    let teams = accounts::list_teams(db, Some(org)).await.expect("teams");
    let larkfield = TeamId::from_uuid(teams.iter().find(|t| t.name.starts_with("Larkfield")).expect("team").id);
    let harbour = TeamId::from_uuid(teams.iter().find(|t| t.name.starts_with("Harbour")).expect("team").id);
    let by_nhs = |n: &str| {
        let n = n.parse().expect("nhs number");
        async move { carethread_store::people::id_by_nhs_number(db, org, &n).await.expect("ran").expect("person") }
    };
    let jordan = by_nhs("9990000018").await;
    let aisha = by_nhs("9990000085").await;
    let c = AuditContext { org_id: Some(org), ..AuditContext::command_line("matrix set-up") };
    let keyworker = accounts::user_by_username(db, "demo-keyworker").await.expect("ran").expect("kw").user_id();
    // Jordan gets the same kind of record as Aisha: circle, entries, problems, reviews, plan.
    let today = carethread_store::now().date_naive();
    carethread::demo_story::load(db, &c, jordan, Some(keyworker), today).await.expect("story");

    account(db, org, "m-other-person", Role::Person, None, Some(aisha)).await;
    account(db, org, "m-team-clinician", Role::Clinician, Some(larkfield), None).await;
    account(db, org, "m-team-manager", Role::TeamManager, Some(larkfield), None).await;
    account(db, org, "m-ex-supporter", Role::Supporter, None, None).await;
    let brother = carethread_domain::circle::MemberDetails {
        name: "Ex Supporter".into(),
        relationship: "Brother".into(),
        organisation: None,
        contact: None,
        source: carethread_domain::circle::Source::PersonalNetwork,
        involvement: carethread_domain::circle::Involvement::Occasional,
        brings: None,
    };
    let member = themes::add_member(db, &c, jordan, &brother, Some("m-ex-supporter")).await.expect("member");
    let consent = carethread_domain::plan::consent::ConsentDetails {
        with: carethread_domain::plan::consent::ShareWith::Member { id: member, name: "Ex Supporter".into() },
        scope: carethread_domain::plan::consent::ShareScope::WholePlan,
        purpose: "Matrix".into(),
        from: today,
        until: None,
        given: carethread_domain::plan::consent::ConsentGiven::Verbal,
    };
    let consent = plans::add_consent(db, &c, jordan, &consent).await.expect("consent");
    plans::withdraw_consent(db, &c, jordan, consent, today, "Withdrawn for the matrix").await.expect("withdrawn");

    for (name, reason) in
        [("m-glass-active", "Matrix: active emergency access"), ("m-glass-expired", "Matrix: expired emergency access")]
    {
        let user = account(db, org, name, Role::Clinician, Some(harbour), None).await;
        let ctx = AuditContext { user_id: Some(user), username: name.into(), role: "clinician".into(), ..c.clone() };
        break_glass::start(db, &ctx, jordan, &Reason::parse(reason).expect("reason"), None).await.expect("glass");
    }
    testing::execute_raw(
        db,
        "UPDATE break_glass_grants SET started_at = '2026-01-01T08:00:00Z', expires_at = '2026-01-01T12:00:00Z' \
         WHERE reason = 'Matrix: expired emergency access'",
    )
    .await
    .expect("expire");
    let grant =
        break_glass::queue(db, &c, org, break_glass::Scope::Organisation).await.expect("queue")[0].id.to_string();

    let admin = AuditContext::command_line("matrix set-up");
    let other_org =
        accounts::create_org(db, &admin, "Matrix Elsewhere Trust", "trust", "Europe/London").await.expect("org");
    let other_team = accounts::create_team(db, &admin, other_org, "Elsewhere team").await.expect("team");
    let other_user = account(db, other_org, "m-elsewhere", Role::KeyWorker, Some(other_team), None).await;

    // A review with a prompt sheet on each record, for the QuestionnaireResponse routes.
    for person in [jordan, aisha] {
        let details = carethread_domain::reviews::ReviewDetails {
            kind: carethread_domain::reviews::ReviewKind::Conversation,
            at: today.and_hms_opt(23, 0, 0).expect("time"),
            place: "Matrix".into(),
            chair: "Matrix".into(),
        };
        let me = reviews::Invitee {
            details: carethread_domain::reviews::AttendeeDetails {
                name: "Matrix".into(),
                role: "Matrix".into(),
                is_person: true,
            },
            member_id: None,
            account_id: None,
        };
        let review = reviews::schedule(db, &c, person, &details, &[me]).await.expect("review");
        let sheet = carethread_domain::reviews::PromptSheet {
            who_i_want_there: Some("Matrix".into()),
            ..carethread_domain::reviews::PromptSheet::default()
        };
        reviews::save_prompt_sheet(db, &c, person, review, 0, &sheet).await.expect("sheet");
    }

    Fixture {
        jordan: record_ids(db, jordan).await,
        aisha: record_ids(db, aisha).await,
        grant,
        other_org,
        other_team,
        other_user,
        team: larkfield,
        staff: accounts::user_by_username(db, "demo-keyworker").await.expect("ran").expect("key worker").user_id(),
    }
}

/// The ways ids are swapped for one route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Variant {
    /// Every id is Jordan's (or, outside a record, the fixture's own).
    Own,
    /// The record in the path is Aisha's, with her parts.
    OtherPerson,
    /// Jordan's record in the path, with one of Aisha's parts in it.
    OtherPart,
    /// A team of another organisation in the query.
    Query,
    /// Ids of another person's circle and another organisation in the form.
    Body,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Own => "own",
            Variant::OtherPerson => "other-person",
            Variant::OtherPart => "other-part",
            Variant::Query => "query",
            Variant::Body => "body",
        }
    }
}

const PART_PARAMS: [&str; 9] = ["review", "attendee", "entry", "member", "problem", "other", "task", "goal", "consent"];

fn variants(method: &str, path: &str) -> Vec<Variant> {
    let mut out = vec![Variant::Own];
    // Signing in and out take no ids, and each principal signs out only once.
    if matches!(path, "/sign-in" | "/sign-out") {
        return out;
    }
    if path.starts_with("/people/{id}") || fhir_record_path(path) {
        out.push(Variant::OtherPerson);
        if PART_PARAMS.iter().any(|p| path.contains(&format!("{{{p}}}"))) {
            out.push(Variant::OtherPart);
        }
    }
    if method == "get" && matches!(path, "/today" | "/plans/quality" | "/insights") {
        out.push(Variant::Query);
    }
    if matches!(method, "post" | "put") {
        out.push(Variant::Body);
    }
    out
}

/// A FHIR address of one resource in a person's record.
fn fhir_record_path(path: &str) -> bool {
    [
        "Patient",
        "CarePlan",
        "Goal",
        "Task",
        "CareTeam",
        "Encounter",
        "Observation",
        "RelatedPerson",
        "Condition",
        "Consent",
        "QuestionnaireResponse",
        "Composition",
        "Provenance",
    ]
    .iter()
    .any(|t| path.starts_with(&format!("/fhir/{t}/{{id}}")))
}

/// The concrete URL and form for one route and variant.
fn request(f: &Fixture, method: &str, path: &str, variant: Variant) -> (String, Vec<(String, String)>) {
    let record = if variant == Variant::OtherPerson { &f.aisha } else { &f.jordan };
    let part = if matches!(variant, Variant::OtherPerson | Variant::OtherPart) { &f.aisha } else { &f.jordan };
    let id = if path.starts_with("/admin/organisations/") {
        f.other_org.to_string()
    } else if path.starts_with("/admin/teams/") {
        f.other_team.to_string()
    } else if path.starts_with("/admin/users/") {
        f.other_user.to_string()
    } else if path.starts_with("/fhir/CarePlan/") {
        record.plan.clone()
    } else if path.starts_with("/fhir/Goal/") {
        record.goal.clone()
    } else if path.starts_with("/fhir/Task/") {
        record.task.clone()
    } else if path.starts_with("/fhir/RelatedPerson/") {
        record.member.clone()
    } else if path.starts_with("/fhir/Consent/") {
        record.consent.clone()
    } else if path.starts_with("/fhir/Condition/") {
        record.problem.clone()
    } else if path.starts_with("/fhir/Provenance/") {
        record.change.clone()
    } else if path.starts_with("/fhir/Practitioner") {
        f.staff.to_string()
    } else if path.starts_with("/fhir/Organization/") {
        f.team.to_string()
    } else if path.starts_with("/fhir/Questionnaire/") {
        "prompt-sheet".to_string()
    } else if path.starts_with("/fhir/QuestionnaireResponse/") {
        record.sheet.clone()
    } else if path.starts_with("/fhir/Encounter/") {
        part.review.clone()
    } else if path.starts_with("/fhir/Composition/") {
        record.review.clone()
    } else if path.starts_with("/fhir/Observation/") {
        record.vote.clone()
    } else {
        record.person.to_string()
    };
    let fills: HashMap<&str, String> = HashMap::from([
        ("id", id),
        ("review", part.review.clone()),
        ("attendee", part.attendee.clone()),
        ("entry", part.entry.clone()),
        ("member", part.member.clone()),
        ("problem", part.problem.clone()),
        ("other", part.problem.clone()),
        ("task", part.task.clone()),
        ("goal", part.goal.clone()),
        ("consent", part.consent.clone()),
        ("grant", f.grant.clone()),
        ("theme", "about-me".to_string()),
        ("number", "1".to_string()),
        ("mode", "easy-read".to_string()),
        ("*path", "carethread.css".to_string()),
        ("*rest", "MedicationRequest".to_string()),
        ("version", "1".to_string()),
        ("type", "Patient".to_string()),
        ("part", "1".to_string()),
    ]);
    let mut url = String::new();
    for segment in path.split('/').skip(1) {
        url.push('/');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => url.push_str(fills.get(name).unwrap_or_else(|| panic!("no value for {{{name}}} in {path}"))),
            None => url.push_str(segment),
        }
    }
    if path == "/" {
        url = "/".into();
    }
    if variant == Variant::Query {
        url.push_str(&format!("?team={}", f.other_team));
    }
    let _ = method;
    let body = if variant == Variant::Body {
        vec![
            ("member".to_string(), f.aisha.member.clone()),
            ("owner".to_string(), format!("member:{}", f.aisha.member)),
            ("team_id".to_string(), f.other_team.to_string()),
            ("key_worker_id".to_string(), f.other_user.to_string()),
            ("org_id".to_string(), f.other_org.to_string()),
        ]
    } else {
        Vec::new()
    };
    (url, body)
}

/// D: refused (401, 403, 404, or sent to sign in); O: served (2xx or another redirect);
/// I: reached and turned down as invalid input (400, 409, 412, 422, 428). Anything else is a
/// failure of the service and fails the test.
fn outcome(status: StatusCode, location: Option<&str>) -> char {
    match status.as_u16() {
        401 | 403 | 404 | 405 => 'D',
        // Sent to sign in (again): for lack of a session, or of a sign-in still in progress.
        303 | 302 | 307
            if location.is_some_and(|l| l.starts_with("/sign-in?next=") || l.starts_with("/sign-in?code=")) =>
        {
            'D'
        }
        200..=399 => 'O',
        400 | 409 | 412 | 415 | 422 | 428 => 'I',
        other => panic!("status {other} is neither an answer nor a refusal"),
    }
}

struct Principal {
    /// An API token of the same account, for the FHIR routes.
    token: Option<String>,
    client: Client,
    /// A valid anti-forgery token for this client's session (or pre-session cookie).
    csrf: String,
}

async fn principals(app: &TestApp) -> Vec<Principal> {
    let mut out = Vec::new();
    for (name, username) in PRINCIPALS {
        let client = match username {
            Some(u) => app.signed_in(u).await,
            None => app.client(),
        };
        let home = match username {
            Some(_) => {
                let r = client.get(app.url("/")).send().await.expect("home");
                r.headers()["location"].to_str().expect("text").to_string()
            }
            None => "/sign-in".to_string(),
        };
        let csrf = app.form_token(&client, &home).await;
        let _ = name;
        let token = match username {
            Some(u) => {
                let user = accounts::user_by_username(&app.db, u).await.expect("ran").expect("user");
                let secret = format!("ct_{}", carethread::auth::token::random_secret());
                let hash = carethread::auth::token::hash(&secret);
                accounts::create_api_token(&app.db, &AuditContext::command_line("matrix"), &user, &hash)
                    .await
                    .expect("token");
                Some(secret)
            }
            None => None,
        };
        out.push(Principal { token, client, csrf });
    }
    out
}

async fn call(app: &TestApp, p: &Principal, method: &str, url: &str, body: &[(String, String)]) -> char {
    let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap_or(reqwest::Method::GET);
    let response = if url == "/fhir" || url.starts_with("/fhir/") {
        // The API signs in with the account's token, never the browser's session.
        let m = if method == "any" { reqwest::Method::GET } else { m };
        let mut r = Client::new().request(m, app.url(url));
        if let Some(t) = &p.token {
            r = r.bearer_auth(t);
        }
        if matches!(method, "post" | "put") {
            r = r.header("content-type", "application/fhir+json").body("{\"resourceType\":\"Patient\"}");
        }
        // A delete from a version the record never had: whoever the policy lets through gets
        // 412, and the fixture's records stay for the routes after.
        if method == "delete" {
            r = r.header("if-match", "W/\"999\"");
        }
        r.send().await
    } else {
        match method {
            "get" | "any" => p.client.get(app.url(url)).send().await,
            "post" | "put" | "delete" => {
                let mut form: Vec<(String, String)> = vec![("_csrf".into(), p.csrf.clone())];
                form.extend_from_slice(body);
                p.client.request(m, app.url(url)).form(&form).send().await
            }
            other => panic!("no test for method {other}"),
        }
    }
    .expect("request");
    let location = response.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_string);
    outcome(response.status(), location.as_deref())
}

#[tokio::test]
async fn every_route_for_every_principal_matches_the_checked_in_table() {
    let app = TestApp::spawn().await;
    let f = fixture(&app.db).await;
    let principals = principals(&app).await;
    let mut routes = route_table();
    routes.sort();
    routes.dedup();
    // Signing in and out change the session the rest depends on: they go last.
    let last = |r: &Route| r.method == "post" && matches!(r.path, "/sign-in" | "/sign-out");
    let (ends, mut ordered): (Vec<Route>, Vec<Route>) = routes.into_iter().partition(last);
    ordered.extend(ends.into_iter().rev());

    let mut actual: BTreeMap<String, String> = BTreeMap::new();
    let mut requests = 0usize;
    for route in &ordered {
        let route: &Route = route;
        for variant in variants(route.method, route.path) {
            let (url, body) = request(&f, route.method, route.path, variant);
            let mut row = String::new();
            for p in &principals {
                row.push(call(&app, p, route.method, &url, &body).await);
                requests += 1;
            }
            actual.insert(format!("{}\t{}\t{}", route.method.to_uppercase(), route.path, variant.name()), row);
        }
    }

    // Rules that hold whatever the table says.
    let column = |name: &str| PRINCIPALS.iter().position(|(n, _)| *n == name).expect("principal");
    let mut leaks = Vec::new();
    for (key, row) in &actual {
        let mut parts = key.split('\t');
        let (_, path, variant) = (parts.next(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let outcomes: Vec<char> = row.chars().collect();
        let asks_for_emergency_access = path.starts_with("/people/{id}/emergency-access");
        let one_record = path.starts_with("/people/{id}") || fhir_record_path(path);
        if one_record && !asks_for_emergency_access && variant != "other-person" {
            for name in NO_RELATIONSHIP {
                if outcomes[column(name)] == 'O' {
                    leaks.push(format!("{name} was served {key}"));
                }
            }
        }
        if variant == "other-part" {
            for (name, _) in PRINCIPALS {
                if outcomes[column(name)] == 'O' {
                    leaks.push(format!("{name} reached another person's record part through {key}"));
                }
            }
        }
        if one_record && variant == "other-person" && !asks_for_emergency_access {
            for name in ["person", "supporter"] {
                if outcomes[column(name)] == 'O' {
                    leaks.push(format!("{name} was served someone else's record: {key}"));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "access that must never happen:\n{}", leaks.join("\n"));

    let mut table = String::from("# method\tpath\tvariant");
    for (name, _) in PRINCIPALS {
        let _ = write!(table, "\t{name}");
    }
    table.push('\n');
    for (key, row) in &actual {
        let cells: Vec<String> = row.chars().map(String::from).collect();
        let _ = writeln!(table, "{key}\t{}", cells.join("\t"));
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(EXPECTED);
    if std::env::var("CARETHREAD_AUTHZ_BLESS").is_ok() {
        std::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
        std::fs::write(&path, &table).expect("write the table");
        eprintln!("wrote {} rows ({requests} requests) to {}", actual.len(), path.display());
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("the checked-in table (bless it first)");
    let expected: BTreeMap<&str, &str> = expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let mut cut = l.splitn(4, '\t');
            let key_len = cut.by_ref().take(3).map(str::len).sum::<usize>() + 2;
            Some((&l[..key_len], l.get(key_len + 1..)?))
        })
        .collect();
    let mut problems = Vec::new();
    for (key, row) in &actual {
        let got: String = row.chars().map(String::from).collect::<Vec<_>>().join("\t");
        match expected.get(key.as_str()) {
            None => problems.push(format!("not in the table: {}", key.replace('\t', " "))),
            Some(want) if *want != got => {
                for (i, (w, g)) in want.split('\t').zip(got.split('\t')).enumerate() {
                    if w != g {
                        let kind = if g == "O" { "unexpected allow" } else { "unexpected deny or change" };
                        let route = key.replace('\t', " ");
                        problems.push(format!("{kind}: {route} as {}: expected {w}, got {g}", PRINCIPALS[i].0));
                    }
                }
            }
            Some(_) => {}
        }
    }
    for key in expected.keys() {
        if !actual.contains_key(*key) {
            problems.push(format!("in the table but no longer routed: {}", key.replace('\t', " ")));
        }
    }
    eprintln!("authorisation matrix: {} rows x {} principals = {requests} requests", actual.len(), PRINCIPALS.len());
    assert!(problems.is_empty(), "{} differences from {EXPECTED}:\n{}", problems.len(), problems.join("\n"));
}
