//! HTTP routes. Each handler extracts inputs, makes one domain call and maps the result.

pub mod grant;
pub mod health;
pub mod introspection;
pub mod token;
