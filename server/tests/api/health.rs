use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_on_postgres};

#[tokio::test]
async fn healthz_reports_the_database() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    // Plain http (the tests' base URL): no HSTS, which would lock a browser out of it.
    assert!(response.headers().get("strict-transport-security").is_none());
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["backend"], "sqlite");
    assert_eq!(body["database"]["status"], "ok");
}

#[tokio::test]
async fn healthz_on_postgres() {
    let Some(app) = spawn_app_on_postgres().await else { return };
    let body: Value =
        app.client.get(app.url("/healthz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["database"]["backend"], "postgres");
    assert_eq!(body["database"]["status"], "ok");
}
