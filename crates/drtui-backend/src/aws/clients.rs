//! SDK clients, created once per service per region, with the pair's endpoints, profile,
//! timeouts and retry budget; shared between pairs through a [`ClientPool`], so ten pairs in
//! the same two regions load three configurations, not thirty, and resolve each profile's
//! credentials once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use drtui_core::config::RegionPair;
use drtui_core::model::Role;

/// The clients of one region.
#[derive(Clone, Debug)]
pub struct RegionClients {
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub rds: aws_sdk_rds::Client,
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub apigateway: aws_sdk_apigateway::Client,
    /// The endpoint these clients talk to, when overridden (for error messages).
    pub endpoint: Option<String>,
    /// The reads shared with every pair signing with the same credentials in this region.
    pub reads: Arc<super::reads::RegionReads>,
}

impl RegionClients {
    fn new(config: &SdkConfig, endpoint: Option<String>) -> Self {
        Self {
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            rds: aws_sdk_rds::Client::new(config),
            cloudformation: aws_sdk_cloudformation::Client::new(config),
            sfn: aws_sdk_sfn::Client::new(config),
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            secretsmanager: aws_sdk_secretsmanager::Client::new(config),
            lambda: aws_sdk_lambda::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
            apigateway: aws_sdk_apigateway::Client::new(config),
            endpoint,
            reads: Arc::default(),
        }
    }
}

/// Every client drtui uses for a pair.
#[derive(Clone, Debug)]
pub struct Clients {
    /// Indexed by [`Role::index`].
    pub regions: [RegionClients; 2],
    /// Route 53 is global; its control plane is in us-east-1.
    pub route53: aws_sdk_route53::Client,
    /// The hosted zones' listings shared with the pairs signing with the same credentials.
    pub route53_reads: Arc<super::reads::RegionReads>,
    /// The process's one Route 53 budget.
    pub route53_budget: Arc<super::route53_budget::Route53Budget>,
    pub sts: aws_sdk_sts::Client,
    /// IAM is global, its control plane in us-east-1 (the policy simulator).
    pub iam: aws_sdk_iam::Client,
    /// Who the credentials belong to, asked once and shared by the pairs that use them.
    pub identity: Arc<tokio::sync::OnceCell<String>>,
    /// The credential provider every client signs with (checked before anything runs).
    pub credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
    /// The profile in use, for messages.
    pub profile: Option<String>,
    /// Which shared credentials these clients sign with (for the pool's one check).
    pub(crate) credentials_key: CredentialsKey,
}

/// Why the pair's AWS credentials cannot be used; exit 2, before anything runs.
#[derive(Debug, thiserror::Error)]
#[error("no usable AWS credentials for pair `{pair}` ({source_}): {reason}. {hint}")]
pub struct CredentialsError {
    pub pair: String,
    /// Which profile or chain was tried.
    pub source_: String,
    pub reason: String,
    pub hint: String,
}

/// What makes two pairs' SDK configurations interchangeable.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ConfigKey {
    region: String,
    endpoint: Option<String>,
    credentials: CredentialsKey,
    connect_timeout: std::time::Duration,
    call_timeout: std::time::Duration,
    max_attempts: u32,
}

/// Pairs with the same profile (or the same fixed keys) sign with the same credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct CredentialsKey {
    profile: Option<String>,
    static_credentials: Option<(String, String)>,
}

/// One profile's credentials, shared by every region and pair that uses it: the provider and
/// the cache in front of it, so they are resolved once per process.
#[derive(Clone, Debug)]
struct SharedCredentials {
    provider: Option<aws_credential_types::provider::SharedCredentialsProvider>,
    cache: aws_smithy_runtime_api::client::identity::SharedIdentityCache,
}

type Slot<T> = Arc<tokio::sync::OnceCell<T>>;

/// Everything made from one configuration: built once per key, cloned (cheaply: clients are
/// handles) into every pair that uses it.
#[derive(Clone, Debug)]
struct Built {
    config: SdkConfig,
    region: RegionClients,
    route53: aws_sdk_route53::Client,
    sts: aws_sdk_sts::Client,
    iam: aws_sdk_iam::Client,
    /// The caller these credentials belong to, asked of STS once.
    identity: Slot<String>,
}

/// SDK configurations and credential checks shared by every pair a process opens (`status
/// --all-pairs`, the fleet view). Concurrent first uses of one key wait for one load.
#[derive(Debug, Default)]
pub struct ClientPool {
    configs: Mutex<HashMap<ConfigKey, Slot<Built>>>,
    credentials: Mutex<HashMap<CredentialsKey, Slot<SharedCredentials>>>,
    checks: Mutex<HashMap<CredentialsKey, Slot<Result<(), String>>>>,
    /// How many configurations were loaded (each reads the profile files once).
    loads: std::sync::atomic::AtomicUsize,
    /// How many credential checks resolved credentials.
    checks_made: std::sync::atomic::AtomicUsize,
    /// Every Route 53 call of the process goes through it.
    route53_budget: Arc<super::route53_budget::Route53Budget>,
}

fn slot<K: Eq + std::hash::Hash + Clone, T>(map: &Mutex<HashMap<K, Slot<T>>>, key: &K) -> Slot<T> {
    let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    Arc::clone(map.entry(key.clone()).or_default())
}

impl ClientPool {
    /// The process's Route 53 budget (what went through it, for the debug view and benches).
    pub fn route53_budget(&self) -> Arc<super::route53_budget::Route53Budget> {
        Arc::clone(&self.route53_budget)
    }

    /// How many SDK configurations this pool has loaded.
    pub fn loads(&self) -> usize {
        self.loads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many times this pool resolved credentials to check them.
    pub fn checks_made(&self) -> usize {
        self.checks_made.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The configuration and clients for one region, made once per key; its credentials are
    /// the profile's shared provider and cache.
    async fn built(&self, key: ConfigKey, pair: &RegionPair) -> Built {
        let cell = slot(&self.configs, &key);
        cell.get_or_init(|| async {
            self.loads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let loaded = sdk_config(
                &key.region,
                key.credentials.profile.clone(),
                key.endpoint.clone(),
                key.credentials.static_credentials.clone(),
                pair,
            )
            .await;
            let shared = slot(&self.credentials, &key.credentials)
                .get_or_init(|| async {
                    SharedCredentials {
                        provider: loaded.credentials_provider(),
                        cache: aws_config::identity::IdentityCache::lazy().build(),
                    }
                })
                .await
                .clone();
            let mut builder = loaded.to_builder();
            builder.set_credentials_provider(shared.provider);
            let config = builder.identity_cache(shared.cache).build();
            Built {
                region: RegionClients::new(&config, key.endpoint.clone()),
                route53: aws_sdk_route53::Client::new(&config),
                sts: aws_sdk_sts::Client::new(&config),
                iam: aws_sdk_iam::Client::new(&config),
                identity: Slot::default(),
                config,
            }
        })
        .await
        .clone()
    }

    /// The credentials check, once per profile; the answer is shared by every pair using it.
    async fn check(
        &self,
        key: &CredentialsKey,
        clients: &Clients,
        pair: &RegionPair,
    ) -> Result<(), CredentialsError> {
        let outcome = slot(&self.checks, key)
            .get_or_init(|| async {
                self.checks_made
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                clients
                    .check_credentials_now(pair)
                    .await
                    .map_err(|error| error.reason)
            })
            .await
            .clone();
        outcome.map_err(|reason| clients.credentials_error(pair, reason))
    }
}

/// Overrides from the command line, which win over the pair's config.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    /// Fixed access key and secret instead of the credential chain (emulator tests).
    #[doc(hidden)]
    pub static_credentials: Option<(String, String)>,
}

impl Clients {
    pub fn from_config(
        configs: [&SdkConfig; 2],
        route53: &SdkConfig,
        endpoints: [Option<String>; 2],
    ) -> Self {
        let [primary, secondary] = configs;
        let [primary_endpoint, secondary_endpoint] = endpoints;
        Self {
            regions: [
                RegionClients::new(primary, primary_endpoint),
                RegionClients::new(secondary, secondary_endpoint),
            ],
            route53: aws_sdk_route53::Client::new(route53),
            route53_reads: Arc::default(),
            route53_budget: Arc::default(),
            sts: aws_sdk_sts::Client::new(primary),
            iam: aws_sdk_iam::Client::new(route53),
            identity: Slot::default(),
            credentials: primary.credentials_provider(),
            profile: None,
            credentials_key: CredentialsKey::default(),
        }
    }

    /// Resolves the credentials (once per profile in this pool), with a bound: none, or
    /// expired, is a clear error naming what was tried and how to log in, instead of every
    /// call failing its own way.
    pub async fn check_credentials(
        &self,
        pair: &RegionPair,
        pool: &ClientPool,
    ) -> Result<(), CredentialsError> {
        pool.check(&self.credentials_key, self, pair).await
    }

    /// The error for `reason`, naming what was tried and how to log in.
    fn credentials_error(&self, pair: &RegionPair, reason: String) -> CredentialsError {
        let source_ = match &self.profile {
            Some(profile) => format!("profile `{profile}`"),
            None => "the default chain: environment, AWS_PROFILE / default profile, SSO, web identity, instance metadata".to_owned(),
        };
        let hint = match &self.profile {
            Some(profile) => format!(
                "Log in with `aws sso login --profile {profile}` (or refresh that profile's keys), then run drtui again"
            ),
            None => "Set AWS_PROFILE (or the pair's `profile`) and log in with `aws sso login --profile NAME`, or export credentials, then run drtui again".to_owned(),
        };
        CredentialsError {
            pair: pair.name.clone(),
            source_,
            reason,
            hint,
        }
    }

    async fn check_credentials_now(&self, pair: &RegionPair) -> Result<(), CredentialsError> {
        use aws_credential_types::provider::ProvideCredentials as _;
        let error = |reason: String| self.credentials_error(pair, reason);
        let Some(provider) = &self.credentials else {
            return Err(error("no credential provider is configured".to_owned()));
        };
        let resolved = tokio::time::timeout(
            pair.call_timeout.max(std::time::Duration::from_secs(5)),
            provider.provide_credentials(),
        )
        .await
        .map_err(|_| error("resolving them timed out".to_owned()))?
        .map_err(|failure| error(credentials_reason(&failure)))?;
        if let Some(expiry) = resolved.expiry()
            && expiry <= std::time::SystemTime::now()
        {
            return Err(error("they have expired".to_owned()));
        }
        Ok(())
    }

    /// Loads credentials and settings from the standard chain (env, profile, SSO, IMDS),
    /// reusing what `pool` already loaded for another pair with the same settings.
    pub async fn load(pair: &RegionPair, overrides: &Overrides, pool: &ClientPool) -> Self {
        let endpoint_for = |region: &str| {
            overrides.endpoint_url.clone().or_else(|| {
                pair.endpoint_url
                    .as_ref()
                    .and_then(|url| url.for_region(region))
                    .map(str::to_owned)
            })
        };
        let profile = overrides.profile.clone().or_else(|| pair.profile.clone());
        let credentials_key = CredentialsKey {
            profile: profile.clone(),
            static_credentials: overrides.static_credentials.clone(),
        };
        let key = |region: &str| ConfigKey {
            region: region.to_owned(),
            endpoint: endpoint_for(region),
            credentials: credentials_key.clone(),
            connect_timeout: pair.connect_timeout,
            call_timeout: pair.call_timeout,
            max_attempts: pair.max_attempts,
        };
        pool.route53_budget
            .limit_reads(pair.route53_reads_per_second);
        let primary_region = pair.region(Role::Primary).to_owned();
        let secondary_region = pair.region(Role::Secondary).to_owned();
        let (primary, secondary, route53) = tokio::join!(
            pool.built(key(&primary_region), pair),
            pool.built(key(&secondary_region), pair),
            pool.built(key(drtui_core::ports::ROUTE53_CONTROL_REGION), pair)
        );
        Self {
            credentials: primary.config.credentials_provider(),
            regions: [primary.region, secondary.region],
            route53: route53.route53,
            route53_reads: route53.region.reads,
            route53_budget: pool.route53_budget(),
            iam: route53.iam,
            sts: primary.sts,
            identity: primary.identity,
            profile: profile.or_else(|| std::env::var("AWS_PROFILE").ok()),
            credentials_key,
        }
    }
}

async fn sdk_config(
    region: &str,
    profile: Option<String>,
    endpoint: Option<String>,
    credentials: Option<(String, String)>,
    pair: &RegionPair,
) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(pair.connect_timeout)
        .operation_attempt_timeout(pair.call_timeout)
        .operation_timeout(pair.call_timeout)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(pair.max_attempts));
    if let Some((key, secret)) = credentials {
        loader = loader.credentials_provider(aws_sdk_sts::config::Credentials::new(
            key, secret, None, None, "static",
        ));
    }
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    // Without an explicit endpoint the SDK still honours AWS_ENDPOINT_URL itself.
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

/// The provider's failure in one line, without the SDK's nested debug output.
fn credentials_reason(failure: &aws_credential_types::provider::error::CredentialsError) -> String {
    use aws_credential_types::provider::error::CredentialsError as Failure;
    match failure {
        Failure::CredentialsNotLoaded(_) => "none were found".to_owned(),
        Failure::ProviderTimedOut(_) => "the provider timed out".to_owned(),
        Failure::InvalidConfiguration(_) => "the configuration is invalid".to_owned(),
        Failure::ProviderError(_) | Failure::Unhandled(_) | _ => {
            let text = aws_smithy_types::error::display::DisplayErrorContext(failure).to_string();
            text.chars().take(200).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(name: &str, primary: &str, secondary: &str) -> RegionPair {
        RegionPair::skeleton(name, primary, secondary)
    }

    fn fixed_keys() -> Overrides {
        Overrides {
            static_credentials: Some(("testing".into(), "testing".into())),
            endpoint_url: Some("http://127.0.0.1:9".into()),
            ..Overrides::default()
        }
    }

    #[tokio::test]
    async fn ten_pairs_in_the_same_regions_load_two_configurations_and_check_credentials_once() {
        let pool = ClientPool::default();
        let pairs: Vec<RegionPair> = (0..10)
            .map(|n| pair(&format!("p{n}"), "us-east-1", "us-east-2"))
            .collect();
        let mut opening = tokio::task::JoinSet::new();
        let pool = Arc::new(pool);
        for pair in pairs {
            let pool = Arc::clone(&pool);
            opening.spawn(async move {
                let clients = Clients::load(&pair, &fixed_keys(), &pool).await;
                clients
                    .check_credentials(&pair, &pool)
                    .await
                    .map(|()| clients)
            });
        }
        let opened: Vec<_> = opening.join_all().await;
        assert!(opened.iter().all(Result::is_ok), "{opened:?}");
        let identities: Vec<_> = opened
            .iter()
            .flatten()
            .map(|clients| Arc::as_ptr(&clients.identity))
            .collect();
        assert!(
            identities.windows(2).all(|two| two[0] == two[1]),
            "one STS answer serves every pair signing with the same keys"
        );
        // us-east-1 (also Route 53's control region) and us-east-2.
        assert_eq!(pool.loads(), 2);
        assert_eq!(pool.checks_made(), 1);
    }

    #[tokio::test]
    async fn another_region_or_profile_gets_its_own_configuration() {
        let pool = ClientPool::default();
        Clients::load(&pair("a", "us-east-1", "us-east-2"), &fixed_keys(), &pool).await;
        Clients::load(&pair("b", "us-west-2", "us-east-2"), &fixed_keys(), &pool).await;
        assert_eq!(pool.loads(), 3, "us-west-2 is new");
        let other_keys = Overrides {
            static_credentials: Some(("other".into(), "other".into())),
            ..fixed_keys()
        };
        let same = Clients::load(&pair("d", "us-east-1", "us-east-2"), &fixed_keys(), &pool).await;
        let first = Clients::load(&pair("a", "us-east-1", "us-east-2"), &fixed_keys(), &pool).await;
        assert!(
            Arc::ptr_eq(&same.regions[0].reads, &first.regions[0].reads)
                && Arc::ptr_eq(&same.route53_reads, &first.route53_reads),
            "the same keys in the same region share their reads"
        );
        let clients = Clients::load(&pair("c", "us-east-1", "us-east-2"), &other_keys, &pool).await;
        assert!(
            !Arc::ptr_eq(&clients.regions[0].reads, &first.regions[0].reads)
                && !Arc::ptr_eq(&clients.route53_reads, &first.route53_reads),
            "another account never shares a read"
        );
        assert!(
            Arc::ptr_eq(&clients.route53_budget, &first.route53_budget),
            "one Route 53 budget for the whole process"
        );
        assert_eq!(
            pool.loads(),
            5,
            "other credentials never share a configuration"
        );
        clients
            .check_credentials(&pair("c", "us-east-1", "us-east-2"), &pool)
            .await
            .expect("fixed keys");
        assert_eq!(pool.checks_made(), 1);
    }
}
