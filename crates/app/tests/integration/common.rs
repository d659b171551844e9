//! Spawns the real application on port 0 against a fresh database of the backend under test
//! (`CARETHREAD_TEST_BACKEND`), loaded with the demo data, and drives it over HTTP.

use carethread::config::Config;
use carethread::{demo, server};
use carethread_store::{Db, testing};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use std::time::Duration;

pub struct TestApp {
    pub base: String,
    pub db: Db,
}

pub fn config(url: String) -> Config {
    Config {
        database_url: url,
        addr: "127.0.0.1:0".parse().expect("addr"),
        staff_idle: Duration::from_secs(15 * 60),
        person_idle: Duration::from_secs(30 * 60),
        session_max: Duration::from_secs(12 * 3600),
        secure_cookies: false,
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|c| c).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(Config) -> Config) -> Self {
        let config = adjust(config(testing::fresh_url().await));
        let db = server::open(&config).await.expect("open the test database");
        demo::load(&db).await.expect("load the demo data");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = server::state(db.clone(), config).await.expect("state");
        tokio::spawn(server::serve(listener, state));
        TestApp { base, db }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client: keeps cookies, does not follow redirects (tests check them).
    pub fn client(&self) -> Client {
        Client::builder().cookie_store(true).redirect(Policy::none()).build().expect("client")
    }

    /// A client signed in as a demo account.
    pub async fn signed_in(&self, username: &str) -> Client {
        let client = self.client();
        let response = self.sign_in(&client, username, demo::DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "signing in as {username}");
        client
    }

    /// A signed-in client whose cookie jar the test can read (to see the session id change).
    pub async fn signed_in_with_jar(&self, username: &str) -> (Client, std::sync::Arc<reqwest::cookie::Jar>) {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = Client::builder().cookie_provider(jar.clone()).redirect(Policy::none()).build().expect("client");
        let response = self.sign_in(&client, username, demo::DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "signing in as {username}");
        (client, jar)
    }

    /// The session cookie's value in a jar.
    pub fn session_cookie(&self, jar: &reqwest::cookie::Jar) -> String {
        use reqwest::cookie::CookieStore;
        let url: reqwest::Url = self.base.parse().expect("url");
        let header = jar.cookies(&url).expect("cookies");
        header
            .to_str()
            .expect("text")
            .split("; ")
            .find_map(|c| c.strip_prefix("ct_session="))
            .expect("a session cookie")
            .to_string()
    }

    pub async fn sign_in(&self, client: &Client, username: &str, password: &str) -> Response {
        let token = self.form_token(client, "/sign-in").await;
        client
            .post(self.url("/sign-in"))
            .form(&[("_csrf", token.as_str()), ("username", username), ("password", password), ("next", "/")])
            .send()
            .await
            .expect("sign in")
    }

    pub async fn get(&self, client: &Client, path: &str) -> (StatusCode, String) {
        let r = client.get(self.url(path)).send().await.expect("get");
        let status = r.status();
        (status, r.text().await.expect("body"))
    }

    /// The anti-forgery token in the first form on a page.
    pub async fn form_token(&self, client: &Client, path: &str) -> String {
        let (status, body) = self.get(client, path).await;
        assert!(status.is_success(), "GET {path} gave {status}");
        form_value(&body, "_csrf").unwrap_or_else(|| panic!("no form token on {path}"))
    }

    /// Posts a form from `page` to `action`, with that page's anti-forgery token.
    pub async fn post_form(&self, client: &Client, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.form_token(client, page).await;
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        client.post(self.url(action)).form(&all).send().await.expect("post")
    }
}

/// The value of the first `<input name="NAME" value="...">` on a page.
pub fn form_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&#x2d;", "-").replace("&#45;", "-"))
}

/// The id in a `Location: /people/ID` header.
pub fn person_location(response: &Response) -> String {
    let location = response.headers().get("location").expect("a redirect").to_str().expect("text");
    location.strip_prefix("/people/").expect("a person page").to_string()
}

/// A complete, valid registration form with the given NHS number.
pub fn person_form<'a>(nhs: &'a str, family: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("given_name", "Robin"),
        ("family_name", family),
        ("dob_day", "2"),
        ("dob_month", "3"),
        ("dob_year", "1991"),
        ("nhs_number", nhs),
        ("communication_needs", "Prefers written notes"),
        ("easy_read", "yes"),
    ]
}

/// The id of the first person a search finds.
pub async fn find(app: &TestApp, client: &Client, query: &str) -> String {
    let (_, page) = app.get(client, &format!("/people?q={query}")).await;
    page.match_indices("href=\"/people/")
        .map(|(i, m)| &page[i + m.len()..])
        .find_map(|rest| rest.get(..36).filter(|id| uuid::Uuid::parse_str(id).is_ok()))
        .expect("a person in the results")
        .to_string()
}
