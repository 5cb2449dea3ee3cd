//! Order helpers shared by the order test files: post an order, wait for it to settle.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::Client;

impl Client {
    /// Posts an order, checks Barbican's 202 shape (`{"order_ref"}` and a matching
    /// `Location`), returns its ref.
    pub async fn post_order(&self, body: &Value) -> String {
        let r = self.post_json("/v1/orders", body).await.expect(202);
        let json = r.json();
        let keys: Vec<_> = json.as_object().expect("object").keys().cloned().collect();
        assert_eq!(keys, vec!["order_ref"]);
        let order_ref = json["order_ref"].as_str().expect("order_ref").to_owned();
        assert_eq!(r.header("location").as_deref(), Some(order_ref.as_str()));
        order_ref
    }

    /// Polls an order until `done(order)` holds, for at most `within`; panics with the last
    /// state otherwise.
    pub async fn wait_order(&self, order_ref: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let o = self.get(order_ref).await.expect(200).json();
            if done(&o) {
                return o;
            }
            assert!(Instant::now() < deadline, "order not as expected after {within:?}: {o}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (at most 30 s) until the order is no longer PENDING.
    pub async fn settled_order(&self, order_ref: &str) -> Value {
        self.wait_order(order_ref, Duration::from_secs(30), |o| o["status"] != "PENDING").await
    }
}
