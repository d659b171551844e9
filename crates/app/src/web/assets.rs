//! Stylesheets, scripts and images, compiled into the binary so one file is the whole service.

use crate::web::routes::{Routes, routes};
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

pub fn router<S: Clone + Send + Sync + 'static>() -> Routes<S> {
    routes! {
        "/assets/{*path}" => get(asset),
    }
}

async fn asset(Path(path): Path<String>) -> Response {
    match Assets::get(&path) {
        Some(file) => {
            let mime = file.metadata.mimetype().to_string();
            let mut response = file.data.into_response();
            let headers = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&mime) {
                headers.insert(header::CONTENT_TYPE, v);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
            response
        }
        None => crate::error::AppError::NotFound.into_response(),
    }
}
