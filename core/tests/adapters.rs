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
}
