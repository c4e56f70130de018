//! Regression guard (not a timed test): how many heap allocations one dashboard frame costs,
//! counted by a wrapping global allocator. A frame is drawn every second and after every poll;
//! a change that multiplies its allocations shows here before it shows as CPU.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a failed expectation is the test's failure message"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use drtui_backend::sim::Fault;
use drtui_testkit::DemoEstate;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc` is passed on as is.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations of drawing one frame of `app` at `width`x`height` (after a warm-up frame).
fn per_frame(app: &drtui_tui::app::App, width: u16, height: u16) -> usize {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|frame| drtui_tui::render::render(app, frame))
        .expect("warm-up");
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    terminal
        .draw(|frame| drtui_tui::render::render(app, frame))
        .expect("draw");
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

#[tokio::test]
async fn one_frame_allocates_a_bounded_amount() {
    let healthy = DemoEstate::new(42, &[]).app().await;
    let outage = DemoEstate::new(42, &[Fault::PrimaryOutage]).app().await;
    // Measured 2026-11-25: 435, 1,002 and 1,015; after the layout that sizes panels by their
    // content (row counts asked every frame) 557, 1,209 and 1,271. The bounds leave about
    // 45 % of headroom. 2026-12-06, with the stores' lines and five parity and permission
    // checks: 850 at 80x24.
    for (name, app, width, height, bound) in [
        ("healthy 80x24", &healthy, 80, 24, 1_100),
        ("healthy 200x60", &healthy, 200, 60, 1_800),
        ("outage 200x60", &outage, 200, 60, 1_800),
    ] {
        let count = per_frame(app, width, height);
        eprintln!("{name}: {count} allocations per frame");
        assert!(
            count <= bound,
            "{name}: {count} allocations per frame (bound {bound})"
        );
    }
}
