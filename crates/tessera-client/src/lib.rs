//! Tessera client SDK: signed GNAP requests and token management.
