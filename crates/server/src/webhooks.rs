//! Alert webhooks: each hit is POSTed as JSON to the agencies' registered URLs, signed with
//! `X-Sightline-Signature: sha256=<HMAC-SHA256(secret, body)>`, and retried with exponential
//! backoff (1, 2, 4, 8, 16 s) on a connection error or a non-2xx answer. Deliveries run on their
//! own tasks, so a slow or dead receiver never blocks ingest or other alerts. Plain `http://` only:
//! put a TLS-terminating proxy in front for `https://` receivers.

use crate::error::{ApiError, ApiResult};
use crate::node::Node;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use serde_json::json;
use sightline_hotlist::Hit;
use sightline_search::Principal;
use std::sync::Arc;
use std::time::Duration;

/// Attempts per delivery.
const ATTEMPTS: u32 = 6;

/// Answer of registering a webhook: the secret is shown only here.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookCreated {
    /// Id.
    pub id: i64,
    /// The URL.
    pub url: String,
    /// The signing secret (hex); verify `X-Sightline-Signature` with it.
    pub secret: String,
    /// Audit entry.
    pub audit_seq: u64,
}

impl Node {
    /// Registers a webhook for the caller's agency (audited).
    ///
    /// # Errors
    /// 400 for a URL that is not `http://host[:port]/path`.
    pub fn add_webhook(&self, who: &Principal, url: &str) -> ApiResult<WebhookCreated> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|_| ApiError::bad_request(format!("`{url}` is not a URL")))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(ApiError::bad_request(
                "webhook URLs must be http://host[:port]/path (put a TLS proxy in front for https)",
            ));
        }
        let secret = crate::auth::new_secret("");
        let id = self.hotlists.add_webhook(
            &who.agency.id,
            url,
            &secret,
            &who.user.username,
            self.clock.now(),
        )?;
        let seq = self.audit_change(
            who.actor(),
            "webhook.create",
            vec![who.agency.id.clone()],
            json!({ "webhook_id": id, "url": url }),
        )?;
        Ok(WebhookCreated {
            id,
            url: url.to_owned(),
            secret,
            audit_seq: seq,
        })
    }

    /// Sends a hit to every webhook of the list owner and the camera owner.
    pub fn deliver_webhooks(self: &Arc<Self>, hit: &Hit) {
        let mut agencies = vec![hit.list_owner.clone()];
        if hit.camera_owner != hit.list_owner {
            agencies.push(hit.camera_owner.clone());
        }
        let body = match serde_json::to_vec(&json!({ "event": "hit", "hit": hit })) {
            Ok(b) => Bytes::from(b),
            Err(_) => return,
        };
        for agency in agencies {
            let hooks = match self.hotlists.webhooks(&agency) {
                Ok(h) => h,
                Err(e) => {
                    tracing::warn!(error = %e, "reading webhooks failed");
                    continue;
                }
            };
            for (id, url, secret) in hooks {
                let signature = sightline_hotlist::edge::sign_webhook(secret.as_bytes(), &body);
                let body = body.clone();
                let hit_id = hit.id;
                tokio::spawn(async move { deliver(id, url, signature, body, hit_id).await });
            }
        }
    }
}

async fn deliver(webhook: i64, url: String, signature: String, body: Bytes, hit_id: i64) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut wait = Duration::from_secs(1);
    for attempt in 1..=ATTEMPTS {
        let request = hyper::Request::post(&url)
            .header("content-type", "application/json")
            .header("x-sightline-event", "hit")
            .header("x-sightline-delivery", hit_id.to_string())
            .header("x-sightline-signature", &signature)
            .body(Full::new(body.clone()));
        let outcome = match request {
            Ok(req) => {
                match tokio::time::timeout(Duration::from_secs(10), client.request(req)).await {
                    Ok(Ok(resp)) if resp.status().is_success() => return,
                    Ok(Ok(resp)) => format!("status {}", resp.status()),
                    Ok(Err(e)) => e.to_string(),
                    Err(_) => "timed out".into(),
                }
            }
            Err(e) => {
                tracing::warn!(webhook, error = %e, "webhook request invalid");
                return;
            }
        };
        tracing::warn!(webhook, attempt, outcome = %outcome, "webhook delivery failed");
        if attempt < ATTEMPTS {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }
    tracing::warn!(
        webhook,
        hit_id,
        "webhook delivery abandoned after {ATTEMPTS} attempts"
    );
}
