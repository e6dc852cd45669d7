//! The server's notices and warnings, collected while a future runs.
//!
//! PostgreSQL tells a client that a statement did less than it was asked to only with a
//! WARNING (`no privileges were granted for "t"`, 01007; `no privileges could be revoked`,
//! 01006; `role "u" has not been granted membership in role "g" by role "x"`). sqlx hands
//! notices to `tracing` (target `sqlx::postgres::notice`, the severity as the level) and has no
//! other hook, so a scoped subscriber collects them for the future it wraps, in the order they
//! arrive: a notice arrives before the completion of the statement that raised it.

use std::future::Future;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::instrument::WithSubscriber as _;
use tracing::span::{Attributes, Id, Record};
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

const TARGET: &str = "sqlx::postgres::notice";

/// One notice or warning from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerNotice {
    /// WARNING, NOTICE, INFO, DEBUG or LOG (as PostgreSQL names them).
    pub severity: &'static str,
    pub message: String,
}

impl ServerNotice {
    pub fn is_warning(&self) -> bool {
        self.severity == "WARNING"
    }
}

impl std::fmt::Display for ServerNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.severity, self.message)
    }
}

/// The notices collected so far; `take` empties it.
#[derive(Clone, Default)]
pub struct Notices(Arc<Mutex<Vec<ServerNotice>>>);

impl Notices {
    pub fn take(&self) -> Vec<ServerNotice> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Runs `f` with every notice the server sends during it collected here. Other tracing
    /// events go to the subscriber that was in effect before.
    pub fn collect<F: Future>(&self, f: F) -> impl Future<Output = F::Output> {
        let outer = tracing::dispatcher::get_default(|d| d.clone());
        f.with_subscriber(Dispatch::new(Collector {
            notices: self.clone(),
            outer,
        }))
    }
}

struct Collector {
    notices: Notices,
    outer: Dispatch,
}

fn severity(level: &Level) -> &'static str {
    // sqlx maps Warning to WARN, Notice to INFO, Debug to DEBUG, Info and Log to TRACE.
    match *level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARNING",
        Level::INFO => "NOTICE",
        Level::DEBUG => "DEBUG",
        Level::TRACE => "INFO",
    }
}

struct MessageVisitor(Option<String>);

impl Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" && self.0.is_none() {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl Subscriber for Collector {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == TARGET || self.outer.enabled(metadata)
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.outer.new_span(span)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        self.outer.record(span, values)
    }
    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.outer.record_follows_from(span, follows)
    }
    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        if metadata.target() != TARGET {
            if self.outer.enabled(metadata) {
                self.outer.event(event);
            }
            return;
        }
        let mut v = MessageVisitor(None);
        event.record(&mut v);
        if let Some(message) = v.0 {
            self.notices
                .0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(ServerNotice {
                    severity: severity(metadata.level()),
                    message,
                });
        }
    }
    fn enter(&self, span: &Id) {
        self.outer.enter(span)
    }
    fn exit(&self, span: &Id) {
        self.outer.exit(span)
    }
    fn clone_span(&self, id: &Id) -> Id {
        self.outer.clone_span(id)
    }
    fn try_close(&self, id: Id) -> bool {
        self.outer.try_close(id)
    }
}
