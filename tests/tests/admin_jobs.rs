//! The job dashboard (`/dashboard`, apalis's board) and the operators' job verbs
//! (`/v1/admin/jobs`, `portcullis jobs`), end to end on both backends: admin only, what they show,
//! and that retry, cancel and discard keep each job's order consistent with it.

use std::time::{Duration, Instant};

use portcullis_tests::*;

const CANCELLED_REASON: &str = "Process TypeOrder failure seen - cancelled by an operator.";
/// Barbican's policy refusal, worded per operation.
fn forbidden(operation: &str) -> String {
    format!("{operation} attempt not allowed - please review your user/project privileges")
}

fn key_order() -> Value {
    json!({"type": "key", "meta": {"name": "k", "algorithm": "aes", "bit_length": 256, "mode": "cbc",
                                   "payload_content_type": "application/octet-stream"}})
}

/// A client with the admin role, and one with only `member`, for the same project.
fn clients(server: &TestServer) -> (Client, Client) {
    let c = server.client(&project());
    (c.with_header("X-Roles", "admin"), c.with_header("X-Roles", "member"))
}

/// The admin view of the first job of order `order_ref` (the one keyed by the order's id).
async fn job_of(admin: &Client, order_ref: &str) -> Value {
    let id = id_of(order_ref);
    let list = admin.get(&format!("/v1/admin/jobs?order_id={id}")).await.expect(200).json();
    let jobs = list["jobs"].as_array().expect("jobs");
    jobs.iter().find(|j| j["idempotency_key"] == id.as_str()).cloned().unwrap_or_else(|| panic!("no job: {list}"))
}

/// Polls the admin view of job `id` until `pred` holds; panics with its last state after `secs`.
async fn wait_job(admin: &Client, id: &str, secs: u64, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let job = admin.get(&format!("/v1/admin/jobs/{id}")).await.expect(200).json();
        if pred(&job) {
            return job;
        }
        assert!(Instant::now() < deadline, "job not as expected after {secs} s: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The first job of an order once it is Done: the worker marks it so just after the order's own
/// transaction, so an ACTIVE order may still have a Running job for a moment.
async fn done_job(admin: &Client, order_ref: &str) -> Value {
    let id = job_of(admin, order_ref).await["id"].as_str().expect("id").to_owned();
    wait_job(admin, &id, 10, |j| j["status"] == "Done").await
}

both_backends!(the_dashboard_is_for_admins_only, |backend| async move {
    let (server, storage) = start(backend).await;
    let (admin, member) = clients(&server);
    let order_ref = admin.post_order(&key_order()).await;
    assert_eq!(admin.settled_order(&order_ref).await["status"], "ACTIVE");
    done_job(&admin, &order_ref).await;

    // Without the admin role: Barbican's 403, for the page, its files and its API alike.
    for path in ["/dashboard", "/dashboard/queues/orders", "/dashboard/api/v1/queues", "/dashboard/assets/x.js"] {
        member.get(path).await.expect_error(403, &forbidden("Job dashboard access"));
    }
    // No identity at all: refused as on /v1.
    server.anonymous().get("/dashboard").await.expect(400);

    let page = admin.get("/dashboard").await.expect(200);
    assert!(page.header("content-type").unwrap_or_default().starts_with("text/html"), "{:?}", page.headers);
    let html = page.text();
    assert!(html.contains("<script") && html.contains("/dashboard/assets/"), "{html}");
    // The board's client-side routes load the same page.
    assert_eq!(admin.get("/dashboard/queues/orders").await.expect(200).text(), html);
    // Its files are served from /dashboard/assets.
    let script = html.split("'/dashboard/assets/").nth(1).and_then(|s| s.split('\'').next()).expect("script");
    let js = admin.get(&format!("/dashboard/assets/{script}")).await.expect(200);
    assert_eq!(js.header("content-type").as_deref(), Some("application/javascript"));

    // The board's API lists the queues and the order's job, payload (ids only) and attempts.
    let queues = admin.get("/dashboard/api/v1/queues").await.expect(200).json();
    let names: Vec<&str> = queues.as_array().expect("queues").iter().filter_map(|q| q["name"].as_str()).collect();
    assert!(names.contains(&"orders"), "{queues}");
    let tasks = admin.get("/dashboard/api/v1/queues/orders/tasks?status=Done").await.expect(200).json();
    let task = &tasks.as_array().expect("tasks")[0];
    assert_eq!(task["args"]["order_id"], id_of(&order_ref).as_str(), "{task}");
    assert_eq!(task["ctx"]["attempt"], 1, "{task}");
    let task_id = task["ctx"]["task_id"].as_str().expect("task_id");
    let one = admin.get(&format!("/dashboard/api/v1/queues/orders/tasks/{task_id}")).await.expect(200).json();
    assert_eq!(one["ctx"]["status"], "Done", "{one}");

    // Read-only: the board's push endpoint (and any other write) is refused, and adds no job.
    let before = storage.jobs().await.len();
    let push = admin.json(Method::PUT, "/dashboard/api/v1/queues/orders/tasks", &json!({"order_id": "x"})).await;
    push.expect_error(405, "The job dashboard is read-only.");
    admin.send(Method::POST, "/dashboard", None, &[]).await.expect(405);
    assert_eq!(storage.jobs().await.len(), before);
});

both_backends!(admins_list_and_show_jobs, |backend| async move {
    let (server, _storage) = start(backend).await;
    let (admin, member) = clients(&server);
    let first = admin.post_order(&key_order()).await;
    let second = admin.post_order(&key_order()).await;
    for o in [&first, &second] {
        assert_eq!(admin.settled_order(o).await["status"], "ACTIVE");
        done_job(&admin, o).await;
    }

    let list = admin.get("/v1/admin/jobs?queue=orders&status=done").await.expect(200).json();
    assert_eq!(list["total"], 2, "{list}");
    // Newest first.
    assert_eq!(list["jobs"][0]["order_ref"], second.as_str(), "{list}");
    let job = &list["jobs"][1];
    assert_eq!(job["queue"], "orders");
    assert_eq!(job["status"], "Done");
    assert_eq!((job["attempts"].as_i64(), job["max_attempts"].as_i64()), (Some(1), Some(8)), "{job}");
    assert_eq!(job["payload"]["order_id"], id_of(&first).as_str(), "{job}");
    assert_eq!(job["last_result"], json!({"Ok": null}), "{job}");
    assert!(job["error"].is_null() && job["lock_by"].as_str().is_some_and(|w| w.starts_with("orders-")), "{job}");
    assert!(
        is_barbican_timestamp(job["run_at"].as_str().unwrap())
            && is_barbican_timestamp(job["done_at"].as_str().unwrap())
    );

    // Paging as other lists; filters carried in the links.
    let page = admin.get("/v1/admin/jobs?limit=1&status=Done").await.expect(200).json();
    assert_eq!(page["jobs"].as_array().unwrap().len(), 1);
    assert!(page["next"].as_str().unwrap().contains("/v1/admin/jobs?limit=1&offset=1&status=Done"), "{page}");
    assert_eq!(admin.get("/v1/admin/jobs?status=Pending").await.expect(200).json()["total"], 0);
    assert_eq!(admin.get("/v1/admin/jobs?queue=certificate_steps").await.expect(200).json()["total"], 0);
    let mine = admin.get(&format!("/v1/admin/jobs?order_id={}", id_of(&first))).await.expect(200).json();
    assert_eq!(mine["total"], 1, "{mine}");

    let id = job["id"].as_str().unwrap();
    let shown = admin.get(&format!("/v1/admin/jobs/{id}")).await.expect(200).json();
    assert_eq!(&shown, job);
    admin.get("/v1/admin/jobs/01ZZZZZZZZZZZZZZZZZZZZZZZZ").await.expect_error(404, "Job not found.");
    admin.get("/v1/admin/jobs?status=bogus").await.expect(400);
    admin.get("/v1/admin/jobs?order_id=bogus").await.expect(400);

    // Admin role only, for every verb.
    member.get("/v1/admin/jobs").await.expect_error(403, &forbidden("Job(s) retrieval"));
    member.get(&format!("/v1/admin/jobs/{id}")).await.expect_error(403, &forbidden("Job(s) retrieval"));
    for verb in ["retry", "cancel"] {
        member
            .send(Method::POST, &format!("/v1/admin/jobs/{id}/{verb}"), None, &[])
            .await
            .expect_error(403, &forbidden("Job update"));
    }
    member.delete(&format!("/v1/admin/jobs/{id}")).await.expect_error(403, &forbidden("Job update"));
});

both_backends!(retrying_a_killed_job_brings_its_order_back_to_active, |backend| async move {
    let storage = Storage::new(backend).await;
    // Every delivery fails for good: the job is Killed and the order ends in ERROR.
    let failing = TestServer::start_on(&storage, &[("PORTCULLIS_FAULTS", "orders=permanent")]);
    let (admin, _) = clients(&failing);
    let order_ref = admin.post_order(&key_order()).await;
    let o = admin.settled_order(&order_ref).await;
    assert_eq!((o["status"].as_str(), o["error_status_code"].as_str()), (Some("ERROR"), Some("500")), "{o}");
    let job = job_of(&admin, &order_ref).await;
    let id = job["id"].as_str().unwrap().to_owned();
    let killed = wait_job(&admin, &id, 10, |j| j["status"] == "Killed").await;
    assert!(killed["error"].as_str().unwrap().contains("injected fault: permanent"), "{killed}");
    // The board shows it too, as the task's last run.
    let task = admin.get(&format!("/dashboard/api/v1/queues/orders/tasks/{id}")).await.expect(200).json();
    let err = task["ctx"]["runs"][0]["result"]["result"]["Err"].as_str().unwrap_or_default();
    assert!(err.contains("injected fault: permanent"), "{task}");
    failing.kill();

    // The fault is gone (say, fixed); an operator retries the job.
    let server = TestServer::start_on(&storage, &[]);
    let admin = admin.at(&server.base);
    let order_ref = rebase(&order_ref, &server.base);
    let retried = admin.send(Method::POST, &format!("/v1/admin/jobs/{id}/retry"), None, &[]).await.expect(200).json();
    assert_eq!(retried["id"], id.as_str());
    assert!(["Pending", "Queued", "Running", "Done"].contains(&retried["status"].as_str().unwrap()), "{retried}");
    assert!(retried["order_status"] == "PENDING" || retried["order_status"] == "ACTIVE", "{retried}");
    let o = admin.wait_order(&order_ref, Duration::from_secs(30), |o| o["status"] == "ACTIVE").await;
    assert!(o["error_status_code"].is_null() && o["error_reason"].is_null(), "{o}");
    assert!(o["secret_ref"].as_str().is_some(), "{o}");
    let done = wait_job(&admin, &id, 10, |j| j["status"] == "Done").await;
    assert_eq!(done["attempts"], 1, "its attempts were reset: {done}");

    // A job that did not fail cannot be retried; an unknown one is 404.
    let again = admin.send(Method::POST, &format!("/v1/admin/jobs/{id}/retry"), None, &[]).await.expect(409);
    assert!(again.json()["description"].as_str().unwrap().contains("Done"), "{}", again.text());
    admin.send(Method::POST, "/v1/admin/jobs/01ZZZZZZZZZZZZZZZZZZZZZZZZ/retry", None, &[]).await.expect(404);
});

both_backends!(cancelling_a_pending_job_ends_its_order_and_discard_removes_it, |backend| async move {
    let storage = Storage::new(backend).await;
    // The API only: no worker takes the jobs, so they stay Pending.
    let server = TestServer::start_api(&storage, &[]);
    let (admin, _) = clients(&server);
    let order_ref = admin.post_order(&key_order()).await;
    let other_ref = admin.post_order(&key_order()).await;
    let id = job_of(&admin, &order_ref).await["id"].as_str().unwrap().to_owned();
    let other = job_of(&admin, &other_ref).await["id"].as_str().unwrap().to_owned();

    // Discarding, or retrying, a job that has not finished is a conflict.
    admin.delete(&format!("/v1/admin/jobs/{other}")).await.expect(409);
    admin.send(Method::POST, &format!("/v1/admin/jobs/{other}/retry"), None, &[]).await.expect(409);

    let cancelled =
        admin.send(Method::POST, &format!("/v1/admin/jobs/{id}/cancel"), None, &[]).await.expect(200).json();
    assert_eq!(cancelled["status"], "Killed", "{cancelled}");
    assert_eq!(cancelled["error"], "cancelled by an operator", "{cancelled}");
    assert_eq!(cancelled["order_status"], "ERROR", "{cancelled}");
    let o = admin.get(&order_ref).await.expect(200).json();
    assert_eq!(o["status"], "ERROR", "{o}");
    assert_eq!(o["error_status_code"], "500", "{o}");
    assert_eq!(o["error_reason"], CANCELLED_REASON, "{o}");
    // The other order is untouched.
    assert_eq!(admin.get(&other_ref).await.expect(200).json()["status"], "PENDING");
    admin.send(Method::POST, &format!("/v1/admin/jobs/{id}/cancel"), None, &[]).await.expect(409);

    // A finished job can be discarded: its row goes, its order stays as it was.
    let discarded = admin.delete(&format!("/v1/admin/jobs/{id}")).await.expect(200).json();
    assert_eq!(discarded["status"], "Killed");
    admin.get(&format!("/v1/admin/jobs/{id}")).await.expect(404);
    admin.delete(&format!("/v1/admin/jobs/{id}")).await.expect(404);
    assert_eq!(admin.get(&order_ref).await.expect(200).json()["status"], "ERROR");
    assert!(storage.jobs().await.iter().all(|j| j.id != id));
});

both_backends!(the_jobs_subcommand_shares_the_verbs, |backend| async move {
    let storage = Storage::new(backend).await;
    let server = TestServer::start_api(&storage, &[]);
    let (admin, _) = clients(&server);
    let order_ref = admin.post_order(&key_order()).await;
    let other_ref = admin.post_order(&key_order()).await;
    let id = job_of(&admin, &order_ref).await["id"].as_str().unwrap().to_owned();
    // Logs go to stderr, which `run` mixes in: keep them out of the output checked here.
    let quiet = [("RUST_LOG", "off")];

    let (ok, out) = storage.run(&["jobs", "list", "--status", "pending"], &quiet);
    assert!(ok, "{out}");
    let header = out.lines().next().unwrap_or_default();
    assert!(header.starts_with("ID") && header.contains("QUEUE") && header.contains("STATUS"), "{out}");
    assert!(out.contains(&id) && out.contains(&id_of(&other_ref)) && out.contains("(2 of 2 jobs)"), "{out}");

    let (ok, out) = storage.run(&["jobs", "list", "--json", "--limit", "1"], &quiet);
    assert!(ok, "{out}");
    let list: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!((list["total"].as_i64(), list["jobs"].as_array().map(Vec::len)), (Some(2), Some(1)), "{list}");

    let (ok, out) = storage.run(&["jobs", "show", &id], &quiet);
    assert!(ok && out.contains("status   Pending") && out.contains(&id_of(&order_ref)), "{out}");

    let (ok, out) = storage.run(&["jobs", "cancel", &id], &quiet);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("cancelled job {id} (orders); order {} is now ERROR", id_of(&order_ref))), "{out}");
    let o = admin.get(&order_ref).await.expect(200).json();
    assert_eq!((o["status"].as_str(), o["error_reason"].as_str()), (Some("ERROR"), Some(CANCELLED_REASON)), "{o}");

    let (ok, out) = storage.run(&["jobs", "retry", "--json", &id], &quiet);
    assert!(ok, "{out}");
    let retried: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        (retried["job"]["status"].as_str(), retried["order_status"].as_str()),
        (Some("Pending"), Some("PENDING"))
    );
    assert_eq!(admin.get(&order_ref).await.expect(200).json()["status"], "PENDING");

    // Refusals: a non-zero exit with the reason.
    let (ok, out) = storage.run(&["jobs", "discard", &id], &quiet);
    assert!(!ok && out.contains("cannot be discarded"), "{out}");
    let (ok, out) = storage.run(&["jobs", "show", "01ZZZZZZZZZZZZZZZZZZZZZZZZ"], &quiet);
    assert!(!ok && out.contains("not found"), "{out}");
    let (ok, out) = storage.run(&["jobs", "list", "--status", "bogus"], &quiet);
    assert!(!ok && out.contains("--status must be one of"), "{out}");

    // Cancel then discard: the row is gone.
    assert!(storage.run(&["jobs", "cancel", &id], &quiet).0);
    let (ok, out) = storage.run(&["jobs", "discard", &id], &quiet);
    assert!(ok && out.contains(&format!("discarded job {id}")), "{out}");
    assert!(storage.jobs().await.iter().all(|j| j.id != id));
});
