//! Test harness for Tessera: spawn servers, wallet-address servers and signing clients.
