//! A sandbox served from a thread of its own, for synchronous tests (of a blocking client, say).

use std::ops::Deref;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::{Error, Sandbox, SandboxBuilder};

/// A [`Sandbox`] served by a tokio runtime on a thread of its own, started by
/// [`SandboxBuilder::start_in_background`]: a synchronous test (no `#[tokio::test]`) can point
/// a blocking client at it, and the test thread stays outside any async runtime.
///
/// Dereferences to the [`Sandbox`] (`url()`, `count(..)`, …). Dropping it stops the server and
/// joins its thread.
#[derive(Debug)]
pub struct BackgroundSandbox {
    sandbox: Option<Sandbox>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SandboxBuilder {
    /// Starts the sandbox on a new thread with its own (current-thread) tokio runtime, and
    /// returns once it listens. For synchronous tests; async tests use
    /// [`SandboxBuilder::start`].
    pub fn start_in_background(self) -> Result<BackgroundSandbox, Error> {
        let (started_tx, started_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("billing-sandbox".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = started_tx.send(Err(Error::Runtime(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let started = self.start().await;
                    let ok = started.is_ok();
                    let _ = started_tx.send(started);
                    if ok {
                        // serve until the handle is dropped
                        let _ = stop_rx.await;
                    }
                });
            })
            .map_err(Error::Runtime)?;
        match started_rx.recv() {
            Ok(Ok(sandbox)) => Ok(BackgroundSandbox {
                sandbox: Some(sandbox),
                stop: Some(stop_tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(Error::Runtime(std::io::Error::other(
                    "the sandbox thread ended before it started",
                )))
            }
        }
    }
}

impl Deref for BackgroundSandbox {
    type Target = Sandbox;

    fn deref(&self) -> &Sandbox {
        match &self.sandbox {
            Some(sandbox) => sandbox,
            None => unreachable!("the sandbox is taken only on drop"),
        }
    }
}

impl Drop for BackgroundSandbox {
    fn drop(&mut self) {
        // the sandbox handle first (it stops the server task), then the runtime's thread
        drop(self.sandbox.take());
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
