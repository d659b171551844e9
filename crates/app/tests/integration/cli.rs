//! The command line, run as a real process against a fresh database of the backend under test.

use carethread_store::{Db, accounts, testing};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn carethread(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_carethread"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("CARETHREAD_DATABASE_URL")
        .spawn()
        .expect("run carethread");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("wait")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn every_command_has_help_naming_the_database_option() {
    for command in [
        &["serve"][..],
        &["migrate"],
        &["demo"],
        &["user", "add"],
        &["user", "deactivate"],
        &["token", "create"],
        &["backup"],
        &["generate"],
        &["audit", "verify"],
        &["audit", "checkpoint"],
        &["audit", "checkpoints"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let out = carethread(&args, None);
        assert!(out.status.success(), "{command:?} --help failed");
        assert!(stdout(&out).contains("--db"), "{command:?} --help does not mention --db");
    }
}

#[tokio::test]
async fn accounts_are_added_with_a_password_from_stdin_and_bad_input_is_refused() {
    let url = testing::fresh_url().await;
    let db = url.as_str();
    let added = carethread(
        &["user", "add", "--db", db, "--username", "first-admin", "--role", "admin", "--password-stdin"],
        Some("a long admin password\n"),
    );
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stdout(&added).contains("Created account 'first-admin' with role admin"));
    assert!(stderr(&added).contains("Created a first organisation"));

    let duplicate = carethread(
        &["user", "add", "--db", db, "--username", "first-admin", "--role", "clinician", "--password-stdin"],
        Some("another long password\n"),
    );
    assert!(!duplicate.status.success());
    assert!(stderr(&duplicate).contains("This username is already in use"), "{}", stderr(&duplicate));

    let bad_role = carethread(
        &["user", "add", "--db", db, "--username", "someone", "--role", "superuser", "--password-stdin"],
        Some("a long enough password\n"),
    );
    assert!(!bad_role.status.success());
    assert!(stderr(&bad_role).contains("'superuser' is not a role"));

    let short = carethread(
        &["user", "add", "--db", db, "--username", "someone", "--role", "clinician", "--password-stdin"],
        Some("short\n"),
    );
    assert!(!short.status.success());
    assert!(stderr(&short).contains("at least 12 characters"));

    let no_stdin_flag = carethread(&["user", "add", "--db", db, "--username", "someone", "--role", "clinician"], None);
    assert!(!no_stdin_flag.status.success(), "a password is never taken from the command line");

    let person_without_record = carethread(
        &["user", "add", "--db", db, "--username", "a-person", "--role", "person", "--password-stdin"],
        Some("a long enough password\n"),
    );
    assert!(stderr(&person_without_record).contains("--person-nhs"));

    let store = Db::connect(db).await.expect("connect");
    assert!(
        accounts::user_by_username(&store, "someone").await.expect("query").is_none(),
        "refused commands created nothing"
    );

    let gone = carethread(&["user", "deactivate", "--db", db, "--username", "first-admin"], None);
    assert!(gone.status.success());
    assert!(!accounts::user_by_username(&store, "first-admin").await.expect("query").expect("exists").active);
    let missing = carethread(&["user", "deactivate", "--db", db, "--username", "nobody"], None);
    assert!(stderr(&missing).contains("there is no account 'nobody'"));
}

#[tokio::test]
async fn api_tokens_are_printed_once_and_stored_only_as_a_hash() {
    let url = testing::fresh_url().await;
    let db = url.as_str();
    assert!(carethread(&["demo", "--db", db], None).status.success());
    let out = carethread(&["token", "create", "--db", db, "--username", "demo-keyworker"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).lines().last().expect("a last line").trim().to_string();
    assert!(token.starts_with("ct_") && token.len() > 40, "{token}");
    let store = Db::connect(db).await.expect("connect");
    let user = accounts::user_by_token_hash(&store, &carethread::auth::token::hash(&token))
        .await
        .expect("query")
        .expect("the token's hash is stored");
    assert_eq!(user.username, "demo-keyworker");
    assert!(
        accounts::user_by_token_hash(&store, &token).await.expect("query").is_none(),
        "the token itself is not stored"
    );
    let unknown = carethread(&["token", "create", "--db", db, "--username", "nobody"], None);
    assert!(!unknown.status.success() && stderr(&unknown).contains("there is no account 'nobody'"));
}

#[tokio::test]
async fn demo_loads_once_and_migrate_is_repeatable() {
    let url = testing::fresh_url().await;
    let db = url.as_str();
    let first = carethread(&["demo", "--db", db], None);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("Loaded the demo data") && stdout(&first).contains("demo-keyworker"));
    let second = carethread(&["demo", "--db", db], None);
    assert!(stdout(&second).contains("already loaded"));
    assert!(carethread(&["migrate", "--db", db], None).status.success());
    let bad = carethread(&["migrate", "--db", "mysql://nowhere/db"], None);
    assert!(!bad.status.success() && stderr(&bad).contains("unsupported database URL"));
}

/// A folder of one test's own, removed when the test ends, whether it passed or not.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(what: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("carethread-{what}-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("create the scratch folder");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_backup_is_a_consistent_copy_and_never_overwrites() {
    let url = testing::fresh_url().await;
    let db = url.as_str();
    assert!(carethread(&["demo", "--db", db], None).status.success());
    let dir = Scratch::new("backup");
    let file = dir.0.join("copy.backup");
    let path = file.to_string_lossy().to_string();
    let out = carethread(&["backup", "--db", db, "--to", &path], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::metadata(&file).expect("backup written").len() > 0);
    if db.starts_with("sqlite://") {
        // The copy is a working database holding the same accounts.
        let copy = Db::connect(&format!("sqlite://{path}")).await.expect("open the copy");
        assert!(accounts::user_by_username(&copy, "demo-keyworker").await.expect("query").is_some());
    }
    let again = carethread(&["backup", "--db", db, "--to", &path], None);
    assert!(!again.status.success() && stderr(&again).contains("already exists"));
}

#[tokio::test]
async fn serve_logs_json_without_personal_data_and_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let url = testing::fresh_url().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_carethread"))
        .args(["--log-format", "json", "serve", "--db", &url, "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("CARETHREAD_LOG")
        .spawn()
        .expect("start the server");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut base = String::new();
    let mut line = String::new();
    while out.read_line(&mut line).expect("read") > 0 {
        if let Some(at) = line.find("ready on http://") {
            base = line[at + "ready on ".len()..].split_whitespace().next().expect("address").to_string();
            break;
        }
        line.clear();
    }
    assert!(!base.is_empty(), "the server printed where it listens");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let r = client.get(format!("{base}/people?q=Okafor-secret-surname")).send().await.expect("get");
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let request_id = r.headers()["x-request-id"].to_str().expect("id").to_string();
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "a SIGTERM stop is a clean exit");
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(!logs.contains("Okafor-secret-surname"), "search text must never be logged");
    let lines: Vec<serde_json::Value> =
        logs.lines().map(|l| serde_json::from_str(l).expect("every log line is JSON")).collect();
    assert!(
        lines.iter().any(|l| l.to_string().contains(&request_id) && l.to_string().contains("\"route\":\"/people\"")),
        "{logs}"
    );
    assert!(lines.iter().any(|l| l["fields"]["message"] == "stopped"));
}

#[tokio::test]
async fn a_command_moves_the_reads_it_made_into_the_audit_log_before_it_ends() {
    // On SQLite whatever the test backend: PostgreSQL has no read journal.
    let url = testing::sqlite_url(&format!("cli_journal_{}", uuid::Uuid::now_v7().simple()));
    let loaded = carethread(&["demo", "--db", &url], None);
    assert!(loaded.status.success(), "{}", stderr(&loaded));
    // Loading the demo reads records, and each read left an entry in the journal on its way.
    assert_eq!(testing::waiting_in_read_journal_file(&url).await, 0, "every one moved before the command ended");
}

#[tokio::test]
async fn audit_verify_passes_an_intact_log_and_fails_on_one_changed_entry() {
    let url = testing::fresh_url().await;
    let db = url.as_str();
    assert!(carethread(&["demo", "--db", db], None).status.success());
    let checked = carethread(&["audit", "verify", "--db", db], None);
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert!(stdout(&checked).contains("The audit log is intact."), "{}", stdout(&checked));

    let exported = carethread(&["audit", "checkpoint", "--db", db], None);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let file = std::env::temp_dir().join(format!("ct-checkpoints-{}.jsonl", uuid::Uuid::now_v7()));
    std::fs::write(&file, stdout(&exported)).expect("keep the checkpoints elsewhere");
    let against = carethread(&["audit", "verify", "--db", db, "--against", &file.to_string_lossy()], None);
    assert!(against.status.success(), "{}", stdout(&against));

    // Someone with the database owner's rights switches the guard off and edits one entry.
    let store = Db::connect(db).await.expect("connect");
    let off = match testing::backend() {
        carethread_store::Backend::Sqlite => "DROP TRIGGER audit_log_no_update",
        carethread_store::Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER USER",
    };
    testing::execute_raw(&store, off).await.expect("guard off");
    testing::execute_raw(&store, "UPDATE audit_log SET username = 'nobody' WHERE seq = 5").await.expect("edit");
    let tampered = carethread(&["audit", "verify", "--db", db, "--against", &file.to_string_lossy()], None);
    assert!(!tampered.status.success());
    assert!(stdout(&tampered).contains("entry 5 (") && stdout(&tampered).contains("was changed after it was written"));
    assert!(stderr(&tampered).contains("the audit log has been tampered with"));
    let garbled = std::env::temp_dir().join(format!("ct-garbled-{}.jsonl", uuid::Uuid::now_v7()));
    std::fs::write(&garbled, "not json\n").expect("write");
    let refused = carethread(&["audit", "verify", "--db", db, "--against", &garbled.to_string_lossy()], None);
    assert!(stderr(&refused).contains("line 1 of") && stderr(&refused).contains("is not a checkpoint"));
    for kept in [file, garbled] {
        std::fs::remove_file(kept).expect("remove the test's checkpoint files");
    }
}

#[tokio::test]
async fn generate_fills_a_population_with_some_cases_and_refuses_impossible_sizes() {
    let url = testing::fresh_url().await;
    let db = url.as_str();
    let made = carethread(&["generate", "--db", db, "--people", "400", "--cases", "40", "--seed", "5"], None);
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(stdout(&made).contains("Generated 400 people, 40 of them with a case"), "{}", stdout(&made));
    // Counted by touching every row: the number of rows an UPDATE matches.
    let store = Db::connect(db).await.expect("connect");
    let count = |table: &str| format!("UPDATE {table} SET person_id = person_id");
    assert_eq!(testing::execute_raw(&store, &count("population_health")).await.expect("health"), 400);
    assert_eq!(testing::execute_raw(&store, &count("cases")).await.expect("cases"), 40);
    assert!(testing::execute_raw(&store, &count("plan_versions")).await.expect("plans") >= 40);
    assert!(testing::execute_raw(&store, &count("tasks")).await.expect("tasks") >= 80);
    assert!(testing::execute_raw(&store, &count("review_votes")).await.expect("votes") >= 40 * 6);
    // Every generated record joined the audit chain without a break.
    let checked = carethread(&["audit", "verify", "--db", db], None);
    assert!(stdout(&checked).contains("The audit log is intact."), "{}", stdout(&checked));

    let again = carethread(&["generate", "--db", db, "--people", "10", "--cases", "1", "--seed", "5"], None);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("is already in this database"), "{}", stderr(&again));
    let too_many = carethread(&["generate", "--db", db, "--people", "10", "--cases", "11", "--seed", "6"], None);
    assert!(!too_many.status.success());
    assert!(stderr(&too_many).contains("cannot be more than --people"), "{}", stderr(&too_many));
}
