//! The signed-in account and the request's origin, as handlers receive them.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use carethread_domain::Role;
use carethread_domain::policy::Principal;
use carethread_store::AuditContext;
use carethread_store::accounts::UserRow;
use std::net::SocketAddr;

/// A signed-in account. Put in the request by the session middleware; a handler that takes a
/// `Viewer` is only reached by signed-in users (others are sent to sign in).
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user: UserRow,
    pub role: Role,
    /// The session's anti-forgery token, written into every form.
    pub csrf: String,
}

impl Viewer {
    pub fn principal(&self) -> Principal {
        Principal {
            user_id: self.user.user_id(),
            org_id: self.user.org(),
            role: self.role,
            team_id: self.user.team_id.map(carethread_domain::TeamId::from_uuid),
            person_id: self.user.person(),
        }
    }

    pub fn audit(&self, meta: &RequestMeta) -> AuditContext {
        AuditContext {
            org_id: Some(self.user.org()),
            user_id: Some(self.user.user_id()),
            username: self.user.username.clone(),
            role: self.role.as_str().to_string(),
            ip: meta.ip.clone(),
            request_id: meta.request_id.clone(),
        }
    }
}

/// Where an anonymous request for a signed-in page is sent.
pub struct SignInRequired(String);

impl IntoResponse for SignInRequired {
    fn into_response(self) -> Response {
        let next: String = url_encode(&self.0);
        Redirect::to(&format!("/sign-in?next={next}")).into_response()
    }
}

fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|e| e.trim_start_matches('=').to_string()).unwrap_or_default()
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = SignInRequired;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Viewer>().cloned().ok_or_else(|| {
            let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            SignInRequired(path.to_string())
        })
    }
}

/// Where a request came from, for the audit log.
#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub ip: String,
    pub request_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        let request_id = parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("none").to_string();
        Ok(RequestMeta { ip, request_id })
    }
}
