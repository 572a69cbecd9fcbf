//! The adapters behind features, each on time it controls: tokio's paused clock, embassy-time's
//! mock driver, and a logger and a tracing subscriber that keep what they are given.

#[cfg(feature = "tokio")]
mod tokio_adapters {
    use std::time::Duration;

    use embedded_hal_async::delay::DelayNs;
    use embedded_retry::{Clock, TokioClock, TokioSleep};

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn tokio_sleep_waits_on_tokios_timer_in_each_unit() {
        let start = tokio::time::Instant::now();
        TokioSleep.delay_ms(20).await;
        assert_eq!(start.elapsed(), Duration::from_millis(20));
        TokioSleep.delay_us(3_000).await;
        assert_eq!(start.elapsed(), Duration::from_millis(23));
        TokioSleep.delay_ns(7_000_000).await;
        assert_eq!(start.elapsed(), Duration::from_millis(30));
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn tokio_clock_follows_tokios_time() {
        let clock = TokioClock::new();
        assert_eq!(clock.now_ms(), 0);
        tokio::time::advance(Duration::from_millis(250)).await;
        assert_eq!(clock.now_ms(), 250);
    }

    /// A run can be spawned on a multi-threaded runtime: its future is `Send`, a timeout and a
    /// deadline among the retry's parts, with a closure that returns a future of its own.
    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_run_is_send_and_can_be_spawned() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU32, Ordering};

        use embedded_retry::{Jitter, Policy, Retry, TimedOut};

        const POLICY: Policy<4> = Policy::builder()
            .max_attempts(4)
            .base_delay_ms(10)
            .jitter(Jitter::None)
            .build_or_panic();

        let task = tokio::spawn(async {
            let mut retry = Retry::without_jitter(POLICY)
                .expect("no jitter")
                .deadline_ms(TokioClock::new(), 1_000)
                .attempt_timeout_ms(30);
            let calls = Arc::new(AtomicU32::new(0));
            let outcome = retry
                .call_async(TokioSleep, move || {
                    let calls = Arc::clone(&calls);
                    async move {
                        let call = calls.fetch_add(1, Ordering::Relaxed) + 1;
                        if call < 3 {
                            std::future::pending::<()>().await;
                        }
                        Ok::<u32, TimedOut>(call)
                    }
                })
                .await;
            (outcome.into_result(), tokio::time::Instant::now())
        });
        let start = tokio::time::Instant::now();
        let (result, end) = task.await.expect("the task ran");
        assert_eq!(result, Ok(3));
        // Two attempts timed out after 30 ms each, with 10 and 20 ms slept after them.
        assert_eq!(end - start, Duration::from_millis(30 + 10 + 30 + 20));
    }

    /// Through `call_future`, a spawned run may borrow: each attempt's future borrows the
    /// task's client and path, and the closure captures them by reference.
    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_run_through_call_future_can_borrow_and_be_spawned() {
        use std::sync::atomic::{AtomicU32, Ordering};

        use embedded_retry::{AttemptOutcome, Decision, Jitter, Policy, Retry, TimedOut};

        const POLICY: Policy<4> = Policy::builder()
            .max_attempts(4)
            .base_delay_ms(10)
            .jitter(Jitter::None)
            .build_or_panic();

        #[derive(Clone, Debug, PartialEq)]
        enum Error {
            Busy,
            TimedOut,
        }
        impl From<TimedOut> for Error {
            fn from(_: TimedOut) -> Self {
                Error::TimedOut
            }
        }
        struct Client {
            calls: AtomicU32,
        }
        impl Client {
            async fn get(&self, path: &str) -> Result<String, Error> {
                match self.calls.fetch_add(1, Ordering::Relaxed) {
                    0 => Err(Error::Busy),
                    1 => std::future::pending().await,
                    _ => Ok(format!("200 {path}")),
                }
            }
        }

        let task = tokio::spawn(async {
            let client = Client {
                calls: AtomicU32::new(0),
            };
            let path = String::from("/status");
            let (client, path) = (&client, path.as_str());
            let mut retry = Retry::without_jitter(POLICY)
                .expect("no jitter")
                .when(|e: &Error| match e {
                    Error::Busy => Decision::RetryAfter(25),
                    Error::TimedOut => Decision::Retry,
                })
                .deadline_ms(TokioClock::new(), 1_000)
                .attempt_timeout_ms(30);
            let outcome = retry.call_future(TokioSleep, || client.get(path)).await;
            let log: Vec<AttemptOutcome<Error>> =
                outcome.log().iter().map(|a| a.outcome.clone()).collect();
            (outcome.into_result(), log, tokio::time::Instant::now())
        });
        let start = tokio::time::Instant::now();
        // A run that ignored its timeout would wait for ever: fail instead.
        let (result, log, end) = tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the run ended")
            .expect("the task ran");
        assert_eq!(result, Ok(String::from("200 /status")));
        // The hint, then the schedule's second delay after the attempt that timed out.
        assert_eq!(
            log,
            [
                AttemptOutcome::Retried {
                    error: Error::Busy,
                    slept_ms: 25,
                    hint_ms: Some(25)
                },
                AttemptOutcome::TimedOut {
                    slept_ms: 20,
                    hint_ms: None
                },
                AttemptOutcome::Succeeded,
            ]
        );
        assert_eq!(end - start, Duration::from_millis(25 + 30 + 20));
    }
}

#[cfg(feature = "embassy-time")]
#[test]
fn embassy_clock_reads_embassy_time() {
    use embedded_retry::{Clock, EmbassyClock};

    let before = EmbassyClock.now_ms();
    embassy_time::MockDriver::get().advance(embassy_time::Duration::from_millis(250));
    assert_eq!(EmbassyClock.now_ms(), before + 250);
}

/// An operation that fails with "busy" more often than the tests' policies allow, then
/// succeeds: a run that ignored its attempt limit ends, and fails its test, rather than hang.
#[cfg(any(feature = "log", feature = "tracing"))]
fn busy() -> impl FnMut() -> Result<(), &'static str> {
    let mut calls = 0;
    move || {
        calls += 1;
        if calls > 8 { Ok(()) } else { Err("busy") }
    }
}

#[cfg(feature = "log")]
#[test]
fn log_hook_logs_each_retry_as_a_warning() {
    use std::sync::Mutex;

    use embedded_retry::{Jitter, LogHook, MockClock, Policy, Retry};

    static LINES: Mutex<Vec<(log::Level, String)>> = Mutex::new(Vec::new());
    struct Keep;
    impl log::Log for Keep {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            let line = (record.level(), record.args().to_string());
            LINES.lock().unwrap().push(line);
        }
        fn flush(&self) {}
    }
    log::set_logger(&Keep).unwrap();
    log::set_max_level(log::LevelFilter::Trace);

    const POLICY: Policy = Policy::builder()
        .base_delay_ms(5)
        .jitter(Jitter::None)
        .build_or_panic();
    let clock = MockClock::<4>::new();
    Retry::without_jitter(POLICY)
        .unwrap()
        .before_sleep(LogHook)
        .call(&clock, busy());
    assert_eq!(
        *LINES.lock().unwrap(),
        [
            (
                log::Level::Warn,
                "attempt 1 failed: \"busy\"; retrying in 5 ms".to_string()
            ),
            (
                log::Level::Warn,
                "attempt 2 failed: \"busy\"; retrying in 10 ms".to_string()
            ),
        ]
    );
}

#[cfg(feature = "tracing")]
#[test]
fn tracing_hook_records_each_retry_as_a_warning_event_with_its_fields() {
    use std::fmt::Write as _;
    use std::sync::{Arc, Mutex};

    use embedded_retry::{Jitter, MockClock, Policy, Retry, TracingHook};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata, Subscriber};

    /// Each event as its level and its fields, `name=value` in order.
    #[derive(Clone, Default)]
    struct Keep(Arc<Mutex<Vec<(Level, String)>>>);
    struct Fields(String);
    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, "{}={value:?} ", field.name());
        }
    }
    impl Subscriber for Keep {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut fields = Fields(String::new());
            event.record(&mut fields);
            let line = (*event.metadata().level(), fields.0.trim_end().to_string());
            self.0.lock().unwrap().push(line);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    const POLICY: Policy = Policy::builder()
        .max_attempts(2)
        .base_delay_ms(5)
        .jitter(Jitter::None)
        .build_or_panic();
    let keep = Keep::default();
    tracing::subscriber::with_default(keep.clone(), || {
        let clock = MockClock::<4>::new();
        Retry::without_jitter(POLICY)
            .unwrap()
            .before_sleep(TracingHook)
            .call(&clock, busy());
    });
    assert_eq!(
        *keep.0.lock().unwrap(),
        [(
            Level::WARN,
            "message=attempt failed; retrying attempt=1 error=\"busy\" delay_ms=5".to_string()
        )]
    );
}
