//! Where a budget keeps a count: in a `Cell<u32>` for one thread, or in an `AtomicU32` that
//! threads share. Each budget that keeps only counts is written once, over this trait, and comes
//! in both forms.

use core::cell::Cell;

/// One count of a budget. Sealed: implemented for `Cell<u32>` and, on targets with atomic
/// compare-and-swap, `AtomicU32`; the crate names it nowhere a user must.
pub trait Counter {
    /// The count.
    fn get(&self) -> u32;
    /// Replaces the count with what `next` makes of it, in one step where the count is shared;
    /// `false`, with the count unchanged, when `next` gives `None`.
    fn update(&self, next: impl FnMut(u32) -> Option<u32>) -> bool;
}

impl Counter for Cell<u32> {
    fn get(&self) -> u32 {
        Cell::get(self)
    }
    fn update(&self, mut next: impl FnMut(u32) -> Option<u32>) -> bool {
        match next(Cell::get(self)) {
            Some(count) => {
                self.set(count);
                true
            }
            None => false,
        }
    }
}

#[cfg(target_has_atomic = "32")]
impl Counter for core::sync::atomic::AtomicU32 {
    fn get(&self) -> u32 {
        self.load(core::sync::atomic::Ordering::Acquire)
    }
    fn update(&self, next: impl FnMut(u32) -> Option<u32>) -> bool {
        use core::sync::atomic::Ordering;
        self.fetch_update(Ordering::AcqRel, Ordering::Acquire, next)
            .is_ok()
    }
}

/// Adds one, saturating at `u32::MAX`.
pub(crate) fn add_one<S: Counter>(count: &S) {
    count.update(|n| Some(n.saturating_add(1)));
}
