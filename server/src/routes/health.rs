//! `GET /healthz`: for load balancers and operators.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::startup::AppState;

/// 200 with the database's state when it answers, 503 when it does not, so a load balancer
/// takes an instance that lost its database out of rotation.
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let started = Instant::now();
    let ping = tokio::time::timeout(Duration::from_secs(2), state.services.db.read.ping()).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (status, database) = match ping {
        Ok(Ok(())) => (StatusCode::OK, "ok"),
        Ok(Err(error)) => {
            tracing::warn!(%error, "health check: database error");
            (StatusCode::SERVICE_UNAVAILABLE, "error")
        }
        Err(_) => {
            tracing::warn!("health check: database timed out");
            (StatusCode::SERVICE_UNAVAILABLE, "timeout")
        }
    };
    let body = json!({
        "status": if status == StatusCode::OK { "ok" } else { "unavailable" },
        "version": env!("CARGO_PKG_VERSION"),
        "database": { "backend": state.backend, "status": database, "latency_ms": latency_ms },
    });
    (status, Json(body))
}
