//! The `carethread` command line.

use crate::auth::{password, token};
use crate::config::Config;
use crate::{demo, server};
use anyhow::{Context, bail};
use carethread_domain::{NhsNumber, OrgId, Role, TeamId, Username};
use carethread_store::accounts::{self, NewUser};
use carethread_store::{AuditContext, Backend, Db, audit, audit_chain};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "carethread", version, about = "Carethread: collaborative care planning and complex-case management.")]
struct Cli {
    /// How log lines are written (to standard error).
    #[arg(long, global = true, value_enum, default_value = "text", env = "CARETHREAD_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Args, Clone)]
struct DbArg {
    /// The database: sqlite://PATH (the default, created if missing) or postgres://USER@HOST/DB.
    #[arg(long = "db", env = "CARETHREAD_DATABASE_URL", default_value = Config::DEFAULT_DATABASE_URL, hide_env_values = true)]
    url: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (applies migrations first).
    Serve(ServeArgs),
    /// Bring the database schema up to date, then exit.
    Migrate(DbArg),
    /// Load the synthetic demo organisation, staff and people (does nothing if already loaded).
    Demo(DbArg),
    /// Fill the database with a synthetic organisation of many cases, for benchmarks and load
    /// tests. The same seed gives the same people and records.
    Generate {
        /// How many people in the population register, each with their health figures. Defaults
        /// to as many as there are cases.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=5_000_000))]
        people: Option<u64>,
        /// How many of those people have a case: a circle of support, theme entries, problem
        /// areas, a care plan, reviews with votes and tasks.
        #[arg(long, value_parser = clap::value_parser!(u64).range(0..=5_000_000))]
        cases: u64,
        /// Seeds the generator; also names the organisation, so each seed can be loaded once.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        db: DbArg,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage personal API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check or checkpoint the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a consistent copy of the database while it stays in use.
    Backup {
        /// The file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArg,
    /// Where to listen, HOST:PORT. Port 0 picks a free port (printed at start-up).
    #[arg(long, env = "CARETHREAD_ADDR", default_value = Config::DEFAULT_ADDR)]
    addr: std::net::SocketAddr,
    /// Load the synthetic demo data before serving and print the demo sign-ins.
    #[arg(long)]
    demo: bool,
    /// Minutes a staff session may sit unused before it ends.
    #[arg(long, env = "CARETHREAD_STAFF_IDLE_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=720))]
    staff_idle_minutes: u64,
    /// Minutes a person's or supporter's session may sit unused before it ends.
    #[arg(long, env = "CARETHREAD_PERSON_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=720))]
    person_idle_minutes: u64,
    /// Mark cookies Secure: set this when people reach Carethread over HTTPS.
    #[arg(long, env = "CARETHREAD_SECURE_COOKIES")]
    secure_cookies: bool,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from the first line of standard input.
    Add {
        #[arg(long)]
        username: String,
        /// person, supporter, key-worker, clinician, team-manager, practice-admin, commissioner or admin.
        #[arg(long)]
        role: String,
        /// The organisation's name. Optional when there is only one; on an empty database a
        /// first organisation called "Carethread" is created.
        #[arg(long)]
        org: Option<String>,
        /// The account holder's full name (defaults to the username).
        #[arg(long)]
        name: Option<String>,
        /// The team's name within the organisation.
        #[arg(long)]
        team: Option<String>,
        /// For a person's own account: the NHS number of their record.
        #[arg(long)]
        person_nhs: Option<String>,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// Turn an account off: its sessions end and its API tokens stop working at once.
    Deactivate {
        #[arg(long)]
        username: String,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a personal API token; it is printed once, on the last line, and stored only as a hash.
    Create {
        #[arg(long)]
        username: String,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every audit chain from its first entry to its head and report any entry edited,
    /// deleted, reordered or removed from the end. Fails if anything is wrong.
    Verify {
        /// Checkpoints exported earlier with `audit checkpoints` and kept outside the database:
        /// proves the chains were not rewritten since.
        #[arg(long)]
        against: Option<PathBuf>,
        #[command(flatten)]
        db: DbArg,
    },
    /// Record a checkpoint of every chain now and print it (JSON lines).
    Checkpoint(DbArg),
    /// Print every checkpoint recorded so far (JSON lines), to keep outside the database.
    Checkpoints(DbArg),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CARETHREAD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn open(db: &DbArg) -> anyhow::Result<Db> {
    let db = Db::connect(&db.url).await.context("could not open the database")?;
    db.migrate().await.context("could not bring the database schema up to date")?;
    Ok(db)
}

/// Opens the database, runs `work` on it and closes it, whatever `work` answered: closing moves
/// reads' audit entries waiting in the read journal into the log before the command ends.
async fn with_db<T>(arg: &DbArg, work: impl AsyncFnOnce(&Db) -> anyhow::Result<T>) -> anyhow::Result<T> {
    let db = open(arg).await?;
    let done = work(&db).await;
    db.close().await;
    done
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(db) => {
            with_db(&db, async |_| {
                println!("The database schema is up to date.");
                Ok(())
            })
            .await
        }
        Command::Demo(db) => {
            with_db(&db, async |db| {
                let started = Instant::now();
                let summary = demo::load(db).await?;
                println!("{summary}");
                println!("Took {} ms.", started.elapsed().as_millis());
                Ok(())
            })
            .await
        }
        Command::Generate { people, cases, seed, db } => {
            with_db(&db, async |db| {
                let people = people.unwrap_or(cases.max(1));
                let g = crate::generate::run(db, people as usize, cases as usize, seed).await?;
                println!(
                    "Generated {} people, {} of them with a case, in “{}” in {:.1} s ({:.0} people per second).",
                    g.people,
                    g.cases,
                    g.org_name,
                    g.seconds,
                    g.people as f64 / g.seconds
                );
                Ok(())
            })
            .await
        }
        Command::User(UserCommand::Add { username, role, org, name, team, person_nhs, password_stdin: _, db }) => {
            let username: Username = username.parse()?;
            let role: Role = role.parse()?;
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).context("could not read the password from standard input")?;
            let pass = line.trim_end_matches(['\n', '\r']).to_string();
            password::check_new(&pass).map_err(anyhow::Error::msg)?;
            with_db(&db, async |db| {
                let ctx = AuditContext::command_line("user add");
                let org_id = choose_org(db, &ctx, org.as_deref()).await?;
                let team_id = match team {
                    None => None,
                    Some(t) => Some(find_team(db, org_id, &t).await?),
                };
                let person_id = match (role, person_nhs) {
                    (Role::Person, Some(n)) => {
                        let nhs: NhsNumber = n.parse()?;
                        Some(
                            carethread_store::people::id_by_nhs_number(db, org_id, &nhs)
                                .await?
                                .context("no one with that NHS number is registered in the organisation")?,
                        )
                    }
                    (Role::Person, None) => {
                        bail!("a person's own account needs --person-nhs NUMBER to link it to their record")
                    }
                    (_, Some(_)) => bail!("--person-nhs is only for accounts with the person role"),
                    (_, None) => None,
                };
                let hash = password::hash(pass).await?;
                let display = name.unwrap_or_else(|| username.to_string());
                let new = NewUser {
                    org_id,
                    username: &username,
                    display_name: &display,
                    role,
                    team_id,
                    person_id,
                    password_hash: Some(&hash),
                };
                accounts::create_user(db, &AuditContext { org_id: Some(org_id), ..ctx }, new).await?;
                println!("Created account '{username}' with role {role}.");
                Ok(())
            })
            .await
        }
        Command::User(UserCommand::Deactivate { username, db }) => {
            with_db(&db, async |db| {
                accounts::set_user_active(db, &AuditContext::command_line("user deactivate"), &username, false)
                    .await
                    .map_err(|e| match e {
                    carethread_store::StoreError::NotFound => {
                        anyhow::anyhow!("there is no account '{username}'")
                    }
                    other => other.into(),
                })?;
                println!("Deactivated '{username}': their sessions have ended and their API tokens no longer work.");
                Ok(())
            })
            .await
        }
        Command::Token(TokenCommand::Create { username, db }) => {
            with_db(&db, async |db| {
                let user = accounts::user_by_username(db, &username)
                    .await?
                    .with_context(|| format!("there is no account '{username}'"))?;
                if !user.active {
                    bail!("the account '{username}' is deactivated");
                }
                let secret = format!("ct_{}", token::random_secret());
                accounts::create_api_token(
                    db,
                    &AuditContext::command_line("token create"),
                    &user,
                    &token::hash(&secret),
                )
                .await?;
                println!("API token for '{username}' (shown once; use it as: Authorization: Bearer <token>):");
                println!("{secret}");
                Ok(())
            })
            .await
        }
        Command::Backup { to, db } => backup(&db, &to).await,
        Command::Audit(AuditCommand::Verify { against, db }) => {
            with_db(&db, async |db| {
                let exported = match against {
                    None => Vec::new(),
                    Some(path) => read_checkpoints(&path)?,
                };
                let report = audit_chain::verify(db, &exported).await?;
                println!(
                    "Checked {} audit chains: {} entries, {} checkpoints.",
                    report.chains, report.entries, report.checkpoints
                );
                if report.unchained > 0 {
                    println!(
                        "{} entries were written before the chains existed and are not covered.",
                        report.unchained
                    );
                }
                if report.problems.is_empty() {
                    println!("The audit log is intact.");
                    Ok(())
                } else {
                    for p in &report.problems {
                        println!("PROBLEM: {p}");
                    }
                    bail!("the audit log has been tampered with: {} problems found", report.problems.len())
                }
            })
            .await
        }
        Command::Audit(AuditCommand::Checkpoint(db)) => {
            with_db(&db, async |db| {
                for cp in audit_chain::checkpoint(db).await? {
                    println!("{}", serde_json::to_string(&cp)?);
                }
                Ok(())
            })
            .await
        }
        Command::Audit(AuditCommand::Checkpoints(db)) => {
            with_db(&db, async |db| {
                for cp in audit_chain::checkpoints(db).await? {
                    println!("{}", serde_json::to_string(&cp)?);
                }
                Ok(())
            })
            .await
        }
    }
}

/// Reads exported checkpoints, one JSON object a line.
fn read_checkpoints(path: &std::path::Path) -> anyhow::Result<Vec<audit_chain::Checkpoint>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("line {} of {} is not a checkpoint", i + 1, path.display()))
        })
        .collect()
}

async fn choose_org(db: &Db, ctx: &AuditContext, name: Option<&str>) -> anyhow::Result<OrgId> {
    let orgs = accounts::list_orgs(db).await?;
    match name {
        Some(name) => orgs.iter().find(|o| o.name == name).map(|o| OrgId::from_uuid(o.id)).with_context(|| {
            let known: Vec<&str> = orgs.iter().map(|o| o.name.as_str()).collect();
            format!(
                "there is no organisation called '{name}'. Known: {}",
                if known.is_empty() { "none".into() } else { known.join(", ") }
            )
        }),
        None if orgs.len() == 1 => Ok(OrgId::from_uuid(orgs[0].id)),
        None if orgs.is_empty() => {
            let id = accounts::create_org(db, ctx, "Carethread", "partnership", "Europe/London").await?;
            eprintln!("Created a first organisation called 'Carethread'.");
            Ok(id)
        }
        None => bail!("there are several organisations: choose one with --org NAME"),
    }
}

async fn find_team(db: &Db, org: OrgId, name: &str) -> anyhow::Result<TeamId> {
    accounts::list_teams(db, Some(org))
        .await?
        .into_iter()
        .find(|t| t.name == name)
        .map(|t| TeamId::from_uuid(t.id))
        .with_context(|| format!("the organisation has no team called '{name}'"))
}

async fn backup(db: &DbArg, to: &std::path::Path) -> anyhow::Result<()> {
    if to.exists() {
        bail!("{} already exists; choose a new file so no backup is overwritten", to.display());
    }
    let database = Db::connect(&db.url).await.context("could not open the database")?;
    let started = Instant::now();
    match database.backend() {
        Backend::Sqlite => database.sqlite_backup(&to.to_string_lossy()).await?,
        Backend::Postgres => {
            // pg_dump takes a consistent snapshot without stopping writers.
            let status = tokio::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--file")
                .arg(to)
                .arg(&db.url)
                .status()
                .await
                .context("could not run pg_dump (install the PostgreSQL client tools)")?;
            if !status.success() {
                bail!("pg_dump failed ({status})");
            }
        }
    }
    audit::record_alone(
        &database,
        &AuditContext::command_line("backup"),
        carethread_domain::AuditAction::Backup,
        None,
        "wrote a backup",
    )
    .await?;
    println!("Backup written to {} in {} ms.", to.display(), started.elapsed().as_millis());
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let config = Config {
        database_url: args.db.url.clone(),
        addr: args.addr,
        staff_idle: Duration::from_secs(args.staff_idle_minutes * 60),
        person_idle: Duration::from_secs(args.person_idle_minutes * 60),
        session_max: Duration::from_secs(12 * 60 * 60),
        secure_cookies: args.secure_cookies,
    };
    let db = server::open(&config).await?;
    if args.demo {
        let summary = demo::load(&db).await?;
        println!("{summary}");
    }
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("could not listen on {}", config.addr))?;
    let local = listener.local_addr()?;
    let state = server::state(db, config).await?;
    println!("Carethread is ready on http://{local} (started in {} ms)", started.elapsed().as_millis());
    tracing::info!(addr = %local, backend = ?state.db.backend(), "listening");
    server::serve(listener, state).await
}
