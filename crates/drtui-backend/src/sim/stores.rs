//! The demo's replicated stores beside Aurora: the DynamoDB global table and the S3
//! replication rules, in both directions, as their regions' CloudWatch would report them.
//! Their own random stream, so the rest of the demo's seeded figures stay as they were.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use drtui_core::clock::Timestamp;
use drtui_core::config::RegionPair;
use drtui_core::model::{Role, StoreFigures, StoreKind};

/// Average object size in the demo's buckets (receipts and exports).
const OBJECT_BYTES: f64 = 1.5e6;

/// One direction of replication (out of a region).
#[derive(Clone, Debug, PartialEq)]
struct Direction {
    table_lag_ms: f64,
    bucket_lag_s: f64,
    pending_operations: f64,
    failed_operations: f64,
}

impl Direction {
    fn healthy() -> Self {
        Self {
            table_lag_ms: 900.0,
            bucket_lag_s: 2.0,
            pending_operations: 6.0,
            failed_operations: 0.0,
        }
    }
}

/// What slows a direction down this second.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stalls {
    /// Every store out of the region (its region is down).
    pub all: bool,
    pub table: bool,
    pub buckets: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stores {
    rng: ChaCha8Rng,
    out_of: [Direction; 2],
}

impl Stores {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x0057_04e5),
            out_of: [Direction::healthy(), Direction::healthy()],
        }
    }

    /// One second of replication out of `role`'s region.
    pub fn step(&mut self, role: Role, stalls: Stalls) {
        let rng = &mut self.rng;
        let mut jitter = |(low, high): (f64, f64)| low + rng.random::<f64>() * (high - low);
        let direction = &mut self.out_of[role.index()];
        if stalls.all || stalls.table {
            direction.table_lag_ms += 1_000.0;
        } else {
            let baseline = jitter((600.0, 1_500.0));
            direction.table_lag_ms = if direction.table_lag_ms > 3_000.0 {
                (direction.table_lag_ms - 5_000.0).max(baseline)
            } else {
                0.7 * direction.table_lag_ms + 0.3 * baseline
            };
        }
        if stalls.all || stalls.buckets {
            direction.bucket_lag_s = (direction.bucket_lag_s + 1.0).min(3_600.0);
            direction.pending_operations += jitter((30.0, 50.0));
            if stalls.buckets && jitter((0.0, 1.0)) < 0.1 {
                direction.failed_operations += 1.0;
            }
        } else {
            direction.bucket_lag_s = 0.7 * direction.bucket_lag_s + 0.3 * jitter((1.0, 4.0));
            direction.pending_operations =
                (0.7 * direction.pending_operations + 0.3 * jitter((0.0, 20.0))).round();
        }
    }

    /// The figures `role`'s CloudWatch publishes at `now`: each table toward the other region,
    /// each rule read in this region.
    pub fn figures(&self, pair: &RegionPair, role: Role, now: Timestamp) -> Vec<StoreFigures> {
        let direction = &self.out_of[role.index()];
        let region = pair.region(role);
        let tables = pair.dynamodb_tables.iter().map(|table| StoreFigures {
            kind: StoreKind::Dynamodb,
            name: table.clone(),
            to: pair.region(role.other()).to_owned(),
            lag_ms: Some(direction.table_lag_ms.round()),
            pending_operations: None,
            pending_bytes: None,
            failed_operations: None,
            newest_at: Some(now),
        });
        let pending = direction.pending_operations.round();
        let buckets = pair
            .replicated_buckets
            .iter()
            .filter(|bucket| bucket.from.as_deref() == Some(region))
            .map(|bucket| StoreFigures {
                kind: StoreKind::S3,
                name: bucket.source.clone(),
                to: bucket.destination.clone(),
                lag_ms: Some((direction.bucket_lag_s * 1000.0).round()),
                pending_operations: Some(pending),
                pending_bytes: Some(pending * OBJECT_BYTES),
                failed_operations: Some(direction.failed_operations),
                newest_at: Some(now),
            });
        tables.chain(buckets).collect()
    }
}
