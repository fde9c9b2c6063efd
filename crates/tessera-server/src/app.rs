//! Wiring: storage, key fetcher and domain service behind two listeners.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tessera_core::GnapError;
use tessera_core::audit::AuditStore;
use tessera_core::gnap::{Gnap, GnapConfig};
use tessera_core::oauth::{OAuth, OAuthConfig};
use tessera_core::secret::RandomMinter;
use tessera_core::store::{Store, StoreError};
use tessera_httpsig::VerifyPolicy;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::extract::MAX_BODY_BYTES;
use crate::jwks::HttpClientKeys;
use crate::metrics::Metrics;
use crate::rate_limit::RequestLimiter;
use crate::routes::{
    admin, admin_clients, audit, dev_consent, grant, health, interaction, introspection, oauth,
    openapi, token,
};

#[derive(Clone)]
pub struct AppState {
    pub gnap: Arc<Gnap>,
    pub oauth: Arc<OAuth>,
    pub audit: Arc<dyn AuditStore>,
    pub public_url: Arc<str>,
    pub signature_policy: VerifyPolicy,
    pub metrics: Arc<Metrics>,
    pub consent: Arc<ConsentSettings>,
    /// Per-client request budgets; `None` when rate limiting is off.
    pub limiter: Option<Arc<RequestLimiter>>,
    /// How long a request (body included) may take.
    pub request_timeout: std::time::Duration,
}

/// How the consent step is wired: where the browser goes, and who may call the IdP API.
pub struct ConsentSettings {
    /// The consent page (an IdP's, or the built-in one); `None` when interaction is off.
    pub consent_url: Option<String>,
    pub dev_consent: bool,
    pub admin_token: Option<String>,
    pub interaction_ttl_secs: i64,
    /// Mark the interaction cookie `Secure` (when the public URL is https).
    pub secure_cookies: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("HTTP client: {0}")]
    HttpClient(#[from] reqwest::Error),
    #[error("server stopped: {0}")]
    Serve(std::io::Error),
}

/// A server running in the background; dropping it does not stop it, [`RunningServer::shutdown`] does.
pub struct RunningServer {
    pub public_addr: SocketAddr,
    pub internal_addr: SocketAddr,
    /// The base URL of `manage`/`continue` URLs (and the grant endpoint, with a `/`).
    pub public_url: String,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// Stops accepting connections, lets requests in flight finish, and waits.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        let _ = self.stop.send(true);
        self.wait().await
    }

    /// Runs until a listener fails or [`RunningServer::shutdown`] is called from elsewhere.
    pub async fn wait(self) -> Result<(), ServerError> {
        for task in self.tasks {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(ServerError::Serve(e)),
                Err(e) => return Err(ServerError::Serve(std::io::Error::other(e))),
            }
        }
        Ok(())
    }

    /// A handle that stops the server when sent `true`.
    pub fn stopper(&self) -> watch::Sender<bool> {
        self.stop.clone()
    }
}

/// Opens the database named in the configuration and starts the server.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    let store = crate::storage::open_store(&config.database_url).await?;
    start_with_store(config, store).await
}

pub async fn start_with_store(
    config: ServerConfig,
    store: Arc<dyn Store>,
) -> Result<RunningServer, ServerError> {
    let public = bind(config.listen).await?;
    let internal = bind(config.internal_listen).await?;
    let public_addr = public.local_addr().map_err(|source| ServerError::Bind {
        addr: config.listen,
        source,
    })?;
    let internal_addr = internal.local_addr().map_err(|source| ServerError::Bind {
        addr: config.internal_listen,
        source,
    })?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{public_addr}"))
        .trim_end_matches('/')
        .to_owned();

    let keys = Arc::new(HttpClientKeys::new(
        config.allow_http,
        config.client_key_ttl,
    )?);
    let limiter = config.rate_limit.map(|l| Arc::new(RequestLimiter::new(l)));
    let gnap = Gnap::new(
        store.clone(),
        keys,
        Arc::new(RandomMinter),
        GnapConfig {
            public_url: public_url.clone(),
            access_token_ttl_secs: config.access_token_ttl_secs,
            interaction_enabled: config.idp_consent_url.is_some() || config.dev_consent,
            interaction_ttl_secs: config.interaction_ttl_secs,
            continue_wait_secs: config.continue_wait_secs,
        },
    );
    let gnap = match &limiter {
        Some(limiter) => gnap.with_rate_limit(limiter.clone()),
        None => gnap,
    };
    let consent_url = match (&config.idp_consent_url, config.dev_consent) {
        (Some(url), _) => Some(url.clone()),
        (None, true) => Some(format!("{public_url}/dev-consent")),
        (None, false) => None,
    };
    let oauth = OAuth::new(
        store.clone(),
        Arc::new(RandomMinter),
        OAuthConfig {
            issuer: public_url.clone(),
            access_token_ttl_secs: config.access_token_ttl_secs,
            refresh_token_ttl_secs: config.refresh_token_ttl_secs,
            refresh_token_idle_secs: config.refresh_token_idle_secs,
            refresh_grace_secs: config.refresh_grace_secs,
            code_ttl_secs: 60,
            interaction_ttl_secs: config.interaction_ttl_secs,
            interaction_enabled: config.idp_consent_url.is_some() || config.dev_consent,
        },
    )
    .await?;
    let state = AppState {
        gnap: Arc::new(gnap),
        oauth: Arc::new(oauth),
        audit: store.clone(),
        public_url: public_url.clone().into(),
        signature_policy: VerifyPolicy {
            max_skew_secs: config.signature_max_skew_secs,
        },
        metrics: Arc::new(Metrics::default()),
        consent: Arc::new(ConsentSettings {
            consent_url,
            dev_consent: config.dev_consent,
            admin_token: config.admin_token.clone(),
            interaction_ttl_secs: config.interaction_ttl_secs,
            secure_cookies: public_url.starts_with("https://"),
        }),
        limiter: limiter.clone(),
        request_timeout: config.request_timeout,
    };

    let (stop, stopped) = watch::channel(false);
    if let Some(limiter) = &limiter {
        limiter.spawn_cleanup(stopped.clone());
    }
    crate::sweeper::spawn(
        store,
        config.sweep_interval,
        config.expired_token_retention_secs,
        stopped.clone(),
    );
    let tasks = vec![
        serve(public, public_router(state.clone()), stopped.clone()),
        serve(internal, internal_router(state), stopped),
    ];
    tracing::info!(%public_addr, %internal_addr, %public_url, "tessera listening");
    Ok(RunningServer {
        public_addr,
        internal_addr,
        public_url,
        stop,
        tasks,
    })
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })
}

fn serve(
    listener: TcpListener,
    router: Router,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<std::io::Result<()>> {
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        })
        .await
    })
}

/// The GNAP endpoints clients call.
pub fn public_router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/", post(grant::request))
        .route(
            "/continue/{id}",
            post(grant::continue_grant).delete(grant::cancel),
        )
        .route("/token/{id}", post(token::rotate).delete(token::revoke))
        .route("/interact/{id}/{nonce}", get(interaction::start))
        .route("/interact/{id}/{nonce}/finish", get(interaction::finish))
        .route("/discovery", get(health::discovery))
        .route("/healthz", get(health::healthz))
        .route("/oauth2/token", post(oauth::token))
        .route("/oauth2/revoke", post(oauth::revoke))
        .route(OAUTH_INTROSPECT_ROUTE, post(oauth::introspect))
        .route("/oauth2/authorize", get(oauth::authorize))
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::metadata),
        )
        .route("/openapi/auth-server.yaml", get(openapi::auth_server));
    let routes = if state.consent.dev_consent {
        routes.route("/dev-consent", get(dev_consent::page)).route(
            "/dev-consent/{id}/{nonce}/{choice}",
            post(dev_consent::decide),
        )
    } else {
        routes
    };
    let limiter = state.limiter.clone();
    with_common_layers(routes, "public", state, limiter)
}

/// Endpoints for the operator's own services: never expose this listener publicly.
pub fn internal_router(state: AppState) -> Router {
    let routes = Router::new()
        .route(GNAP_INTROSPECT_ROUTE, post(introspection::introspect))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .route("/grants/{id}/{nonce}", get(admin::interaction_details))
        .route("/grants/{id}/{nonce}/{choice}", post(admin::decide))
        .route(
            "/clients",
            post(admin_clients::create).get(admin_clients::list),
        )
        .route(
            "/clients/{id}",
            axum::routing::delete(admin_clients::delete),
        )
        .route("/clients/{id}/secret", post(admin_clients::rotate_secret))
        .route("/oauth2/revoke-all", post(admin_clients::revoke_all))
        .route("/audit", get(audit::events))
        .route("/openapi/internal.yaml", get(openapi::internal))
        // `internal.yaml` refers to it for access items.
        .route("/openapi/auth-server.yaml", get(openapi::auth_server));
    // Not rate limited: the internal listener serves the operator's own resource servers, which
    // introspect on every request they get.
    with_common_layers(routes, "internal", state, None)
}

/// What every listener has: JSON errors for unknown routes and methods, the rate limit (when
/// given), the request log, a request timeout, and limits on head and body size.
fn with_common_layers(
    routes: Router<AppState>,
    name: &'static str,
    state: AppState,
    limiter: Option<Arc<RequestLimiter>>,
) -> Router {
    let listener = Listener {
        name,
        metrics: state.metrics.clone(),
    };
    let routes = routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    let routes = match limiter {
        Some(limiter) => routes.layer(middleware::from_fn_with_state(
            limiter,
            crate::rate_limit::charge_unsigned,
        )),
        None => routes,
    };
    routes
        .layer(middleware::from_fn_with_state(listener, log_request))
        .layer(middleware::from_fn_with_state(
            state.request_timeout,
            crate::limits::limit_duration,
        ))
        .layer(middleware::from_fn(crate::limits::limit_head_size))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn not_found() -> Response {
    let mut response =
        ApiError(GnapError::InvalidRequest("no such endpoint".into())).into_response();
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

async fn method_not_allowed() -> Response {
    let mut response = ApiError(GnapError::InvalidRequest(
        "method not allowed on this endpoint".into(),
    ))
    .into_response();
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}

/// What the request log needs to know about its listener.
#[derive(Clone)]
struct Listener {
    name: &'static str,
    metrics: Arc<Metrics>,
}

/// One log line per request: method, route (the pattern, never the raw URI or headers, so no
/// secret reaches the log), status and latency; and the same in the metrics.
async fn log_request(State(listener): State<Listener>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let latency = started.elapsed();
    let status = response.status().as_u16();
    listener
        .metrics
        .record(listener.name, &route, status, latency);
    if status == 200 && is_introspection(&route) {
        // Resource servers introspect on every call they serve: a line each would be most of
        // the log and about a tenth of an introspection's cost (BENCHMARKS.md). The metrics
        // count them; refusals and failures are logged like any other request.
        tracing::debug!(listener = listener.name, %method, %route, status, latency_ms = latency.as_secs_f64() * 1e3, "request");
    } else {
        tracing::info!(listener = listener.name, %method, %route, status, latency_ms = latency.as_secs_f64() * 1e3, "request");
    }
    response
}

/// The introspection routes, named once for the router and for the request log.
const GNAP_INTROSPECT_ROUTE: &str = "/introspect";
const OAUTH_INTROSPECT_ROUTE: &str = "/oauth2/introspect";

fn is_introspection(route: &str) -> bool {
    route == GNAP_INTROSPECT_ROUTE || route == OAUTH_INTROSPECT_ROUTE
}
