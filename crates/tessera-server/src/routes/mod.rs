//! HTTP routes. Each handler extracts inputs, makes one domain call and maps the result.

pub mod admin;
pub mod admin_clients;
pub mod audit;
pub mod dev_consent;
pub mod grant;
pub mod health;
pub mod interaction;
pub mod introspection;
pub mod oauth;
pub mod token;
