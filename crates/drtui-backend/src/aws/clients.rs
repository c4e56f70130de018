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
    pub dynamodb: aws_sdk_dynamodb::Client,
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
    /// The credential provider every client signs with (checked before anything runs).
    pub credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
    /// The profile in use, for messages.
    pub profile: Option<String>,
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
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            endpoint,
        };
        Self {
            regions: [
                region(primary, primary_endpoint),
                region(secondary, secondary_endpoint),
            ],
            route53: aws_sdk_route53::Client::new(route53),
            sts: aws_sdk_sts::Client::new(primary),
            credentials: primary.credentials_provider(),
            profile: None,
        }
    }

    /// Resolves the credentials once, with a bound: none, or expired, is a clear error naming
    /// what was tried and how to log in, instead of every call failing its own way.
    pub async fn check_credentials(&self, pair: &RegionPair) -> Result<(), CredentialsError> {
        use aws_credential_types::provider::ProvideCredentials as _;
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
        let error = |reason: String| CredentialsError {
            pair: pair.name.clone(),
            source_: source_.clone(),
            reason,
            hint: hint.clone(),
        };
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
        let mut clients = Self::from_config(
            [&primary, &secondary],
            &route53,
            [
                endpoint_for(&primary_region),
                endpoint_for(&secondary_region),
            ],
        );
        clients.profile = profile.or_else(|| std::env::var("AWS_PROFILE").ok());
        clients
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
