//! `GET /reports/{id}/view?token=…`: a report opened with a report link. Browsers get the
//! read-only page; with `Accept: application/json` the same URL answers the report as JSON
//! (title, body HTML, updated), for scripts. Every answer says `Vary: Accept`, so no cache
//! hands one kind to the other.

use std::time::SystemTime;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse as _, Response};
use serde_json::json;

use app::preloaded::{ReportLinkView, load_report_link};
use app::services::reports::{LinkReading, read_link};

use super::preloaded;
use crate::startup::AppState;

pub async fn report_link(State(state): State<AppState>, request: Request) -> Response {
    let report_id = report_view_id(request.uri().path());
    let token = preloaded::token_of(&request);
    let visit = preloaded::visit_of(&request);
    let now = SystemTime::now();
    let reports = &state.services.reports;
    let mut response = if wants_json(request.headers()) {
        let reading = match report_id {
            Some(id) => read_link(reports, id, &token, visit, now).await,
            None => LinkReading::DoesNotWork,
        };
        answer_json(reading)
    } else {
        let view = match report_id {
            Some(id) => load_report_link(reports, id, &token, visit, now).await,
            None => ReportLinkView::DoesNotWork,
        };
        let status = view.status();
        preloaded::render(&state, request, view, status, app::preloaded::report_link_document).await
    };
    response.headers_mut().append(VARY, HeaderValue::from_static("Accept"));
    response
}

/// The report id of `/reports/{id}/view`, if that is the path.
fn report_view_id(path: &str) -> Option<i64> {
    let id = path.strip_prefix("/reports/")?.strip_suffix("/view")?;
    id.parse().ok()
}

/// JSON asked for, and HTML not: browsers list `text/html` first on every navigation.
fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers.get_all(ACCEPT).iter().filter_map(|v| v.to_str().ok());
    let accept: Vec<String> = accept.map(str::to_ascii_lowercase).collect();
    accept.iter().any(|a| a.contains("application/json"))
        && !accept.iter().any(|a| a.contains("text/html"))
}

fn answer_json(reading: LinkReading) -> Response {
    let (status, body) = match reading {
        LinkReading::Open(view) => (
            StatusCode::OK,
            json!({
                "id": view.report_id,
                "title": view.title,
                "body_html": view.body_html,
                "updated": humantime::format_rfc3339_seconds(view.updated_at).to_string(),
                "link_expires": view.link_expires_at
                    .map(|at| humantime::format_rfc3339_seconds(at).to_string()),
            }),
        ),
        LinkReading::DoesNotWork => {
            (StatusCode::NOT_FOUND, json!({ "error": "This link does not work." }))
        }
        LinkReading::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "error": "The report cannot be read right now. Try again shortly." }),
        ),
    };
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_report_views_and_only_json_without_html() {
        assert_eq!(report_view_id("/reports/42/view"), Some(42));
        assert_eq!(report_view_id("/reports/42"), None);
        assert_eq!(report_view_id("/reports/x/view"), None);
        assert_eq!(report_view_id("/reports//view"), None);
        let headers = |accept: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(ACCEPT, HeaderValue::from_static(accept));
            h
        };
        assert!(wants_json(&headers("application/json")));
        assert!(wants_json(&headers("Application/JSON; q=1")));
        assert!(!wants_json(&headers("text/html,application/xhtml+xml,application/json;q=0.9")));
        assert!(!wants_json(&HeaderMap::new()));
    }
}
