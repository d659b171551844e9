//! One error type for every handler, and the one place it becomes a response.
//!
//! People see a plain-words page; internal detail goes to the log with the request id, which
//! the page shows so a support call can find the log line.

use crate::web::layout::ErrorPage;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use carethread_store::StoreError;

#[derive(Debug)]
pub enum AppError {
    NotFound,
    /// A member of staff with no working relationship to this person's record: refused, with
    /// emergency access offered.
    NoRelationship(carethread_domain::PersonId),
    /// Refused by the policy or by the role; the reason is shown.
    Forbidden(String),
    /// The form's anti-forgery token was missing or wrong.
    BadFormToken,
    TooManyAttempts {
        retry_after_secs: u64,
    },
    BadRequest(String),
    Internal(anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            // A rule the person can act on, stated in plain words by the store.
            StoreError::Invalid(message) => AppError::BadRequest(message.to_string()),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Internal(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "If you typed the web address, check it is correct. If you followed a link, the record may have moved or you may not have access to it.".to_string(),
            ),
            AppError::Forbidden(reason) => (StatusCode::FORBIDDEN, "You cannot see this page", reason),
            AppError::NoRelationship(id) => {
                return ErrorPage::new(
                    StatusCode::FORBIDDEN,
                    "You do not have a working relationship with this record",
                    "Records are open to the person's key worker, the team holding their case and staff named in their circle of support. If you need this record now to keep the person safe or to treat them, you can use emergency access: you give your reason, it lasts 4 hours, and both a manager and the person will see that you used it.".to_string(),
                )
                .with_action(format!("/people/{id}/emergency-access"), "Use emergency access")
                .into_response();
            }
            AppError::BadFormToken => (
                StatusCode::FORBIDDEN,
                "This form could not be sent",
                "The form was out of date or had been changed, so nothing was saved. Go back, reload the page and try again.".to_string(),
            ),
            AppError::TooManyAttempts { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60);
                let page = ErrorPage::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many attempts to sign in",
                    format!("For your security, signing in is paused. Try again in {minutes} minutes, or ask an administrator to help."),
                );
                let mut response = page.into_response();
                if let Ok(v) = retry_after_secs.to_string().parse() {
                    response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
                }
                return response;
            }
            AppError::BadRequest(message) => (StatusCode::BAD_REQUEST, "There is a problem with the request", message),
            AppError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sorry, there is a problem with the service",
                    "Nothing you sent has been half-saved: either it was saved in full or not at all. Try again later. If it keeps happening, contact support and give them the reference below.".to_string(),
                )
            }
        };
        ErrorPage::new(status, title, message).into_response()
    }
}
