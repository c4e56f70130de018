//! SDK clients, created once per service per region, with the pair's endpoints, profile,
//! timeouts and retry budget.

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
    /// The endpoint these clients talk to, when overridden (for error messages).
    pub endpoint: Option<String>,
}

/// Every client drtui uses for a pair.
#[derive(Clone, Debug)]
pub struct Clients {
    /// Indexed by [`Role::index`].
    pub regions: [RegionClients; 2],
    /// Route 53 is global; its control plane is in us-east-1.
    pub route53: aws_sdk_route53::Client,
    pub sts: aws_sdk_sts::Client,
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
        let region = |config: &SdkConfig, endpoint| RegionClients {
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            rds: aws_sdk_rds::Client::new(config),
            cloudformation: aws_sdk_cloudformation::Client::new(config),
            sfn: aws_sdk_sfn::Client::new(config),
            endpoint,
        };
        Self {
            regions: [
                region(primary, primary_endpoint),
                region(secondary, secondary_endpoint),
            ],
            route53: aws_sdk_route53::Client::new(route53),
            sts: aws_sdk_sts::Client::new(primary),
        }
    }

    /// Loads credentials and settings from the standard chain (env, profile, SSO, IMDS).
    pub async fn load(pair: &RegionPair, overrides: &Overrides) -> Self {
        let endpoint_for = |region: &str| {
            overrides.endpoint_url.clone().or_else(|| {
                pair.endpoint_url
                    .as_ref()
                    .and_then(|url| url.for_region(region))
                    .map(str::to_owned)
            })
        };
        let profile = overrides.profile.clone().or_else(|| pair.profile.clone());
        let load = |region: String| {
            let endpoint = endpoint_for(&region);
            let profile = profile.clone();
            let credentials = overrides.static_credentials.clone();
            async move { sdk_config(&region, profile, endpoint, credentials, pair).await }
        };
        let primary_region = pair.region(Role::Primary).to_owned();
        let secondary_region = pair.region(Role::Secondary).to_owned();
        let route53_region = drtui_core::ports::ROUTE53_CONTROL_REGION.to_owned();
        let (primary, secondary, route53) = tokio::join!(
            load(primary_region.clone()),
            load(secondary_region.clone()),
            load(route53_region.clone())
        );
        Self::from_config(
            [&primary, &secondary],
            &route53,
            [
                endpoint_for(&primary_region),
                endpoint_for(&secondary_region),
            ],
        )
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
