//! The Carethread application: the command line, the web server and its pages.
//!
//! A request flows: middleware (request id, logging, metrics, security headers, CSRF, session)
//! -> handler in `web/` -> `policy::decide` -> store call (transaction + audit) -> template.

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_plan;
pub mod demo_story;
pub mod error;
pub mod generate;
pub mod pdf;
pub mod server;
pub mod state;
pub mod web;
