//! `portcullis jobs`: the `/v1/admin/jobs` verbs on the configured database directly (same
//! configuration as `serve`), for operators without an HTTP client or an admin identity. The work
//! is `portcullis_jobs::admin`'s, shared with the endpoints.
//!
//! Output is a table (or `key: value` lines for one job) on stdout; `--json` prints the same data
//! as JSON. A refused verb (unknown job, wrong state) is an error on stderr and exit status 1.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use portcullis_api::config::Config;
use portcullis_jobs::admin::{self, AdminError, Applied, JobFilter, JobView, Page};

#[derive(Args)]
pub struct JobsArgs {
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: JobsCommand,
}

#[derive(Subcommand)]
enum JobsCommand {
    /// List jobs, newest first.
    List {
        /// Only this queue (orders, certificate_steps).
        #[arg(long)]
        queue: Option<String>,
        /// Only this state (Pending, Queued, Running, Done, Failed, Killed).
        #[arg(long)]
        status: Option<String>,
        /// Only the jobs of this order.
        #[arg(long)]
        order_id: Option<uuid::Uuid>,
        /// At most this many (1 to 1000).
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Show one job: its state, attempts, last result and payload.
    Show { id: String },
    /// Run a Failed or Killed job again from its first attempt; its ERROR order goes back to PENDING.
    Retry { id: String },
    /// Kill a Pending job; its PENDING order ends in ERROR ("cancelled by an operator").
    Cancel { id: String },
    /// Delete a finished (Done or Killed) job.
    Discard { id: String },
}

pub async fn run(config: Config, args: JobsArgs) -> anyhow::Result<()> {
    let db = portcullis_api::startup::open_db(&config).await?;
    portcullis_jobs::setup(&db).await.context("cannot create the job queue tables")?;
    let result = execute(&db, args).await;
    db.close().await;
    result
}

async fn execute(db: &portcullis_store::Db, args: JobsArgs) -> anyhow::Result<()> {
    let json = args.json;
    let (verb, id, applied) = match args.command {
        JobsCommand::List { queue, status, order_id, limit } => {
            let status = match status {
                Some(s) => Some(
                    admin::canonical_status(&s)
                        .with_context(|| format!("--status must be one of {}", admin::STATUSES.join(", ")))?,
                ),
                None => None,
            };
            let filter = JobFilter { queue, status: status.map(str::to_owned), order_id };
            let page = Page { offset: 0, limit: limit.clamp(1, 1000) };
            let (jobs, total) = admin::list(&mut db.acquire().await?, &filter, page).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "jobs": jobs, "total": total }))?);
            } else {
                print!("{}", table(&jobs));
                println!("({} of {total} jobs)", jobs.len());
            }
            return Ok(());
        }
        JobsCommand::Show { id } => {
            let Some(job) = admin::find(&mut db.acquire().await?, &id).await? else { bail!("job {id} not found") };
            if json {
                println!("{}", serde_json::to_string_pretty(&job)?);
            } else {
                print!("{}", details(&job));
            }
            return Ok(());
        }
        JobsCommand::Retry { id } => ("retried", id.clone(), admin::retry(db, &id).await),
        JobsCommand::Cancel { id } => ("cancelled", id.clone(), admin::cancel(db, &id).await),
        JobsCommand::Discard { id } => ("discarded", id.clone(), admin::discard(db, &id).await),
    };
    let applied = match applied {
        Ok(a) => a,
        Err(AdminError::NotFound) => bail!("job {id} not found"),
        Err(AdminError::Conflict(m)) => bail!("job {id} was not {verb}: {m}"),
        Err(AdminError::Db(e)) => return Err(e.into()),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&applied)?);
    } else {
        println!("{}", summary(verb, &applied));
        if verb != "discarded" {
            print!("{}", details(&applied.job));
        }
    }
    Ok(())
}

/// One line per job, in aligned columns.
fn table(jobs: &[JobView]) -> String {
    let mut rows = vec![["ID", "QUEUE", "STATUS", "ATTEMPTS", "RUN AT", "ORDER", "ERROR"].map(String::from).to_vec()];
    for j in jobs {
        rows.push(vec![
            j.id.clone(),
            j.queue.clone(),
            j.status.clone(),
            format!("{}/{}", j.attempts, j.max_attempts),
            j.run_at.to_barbican(),
            j.order_id.map(|o| o.to_string()).unwrap_or_else(|| "-".into()),
            j.error.clone().unwrap_or_default(),
        ]);
    }
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for r in &rows {
        let cells: Vec<String> = r.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// One job as `key: value` lines, payload last.
fn details(j: &JobView) -> String {
    let time = |t: Option<portcullis_store::Timestamp>| t.map(|t| t.to_barbican()).unwrap_or_else(|| "-".into());
    let opt = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
    let payload = serde_json::to_string(&j.payload).unwrap_or_default();
    [
        ("id", j.id.clone()),
        ("queue", j.queue.clone()),
        ("status", j.status.clone()),
        ("attempts", format!("{}/{}", j.attempts, j.max_attempts)),
        ("run_at", j.run_at.to_barbican()),
        ("lock_by", opt(&j.lock_by)),
        ("done_at", time(j.done_at)),
        ("error", opt(&j.error)),
        ("order", j.order_id.map(|o| o.to_string()).unwrap_or_else(|| "-".into())),
        ("payload", payload),
    ]
    .iter()
    .map(|(k, v)| format!("{k:<9}{v}\n"))
    .collect()
}

fn summary(verb: &str, a: &Applied) -> String {
    let order = match (a.job.order_id, &a.order_status) {
        (Some(id), Some(status)) if a.order_changed => format!("; order {id} is now {status}"),
        (Some(id), Some(status)) => format!("; order {id} stays {status}"),
        (Some(id), None) => format!("; order {id} no longer exists"),
        (None, _) => String::new(),
    };
    format!("{verb} job {} ({}){order}", a.job.id, a.job.queue)
}
