//! AADSTS error codes: what each means and how to fix it.
//!
//! The codes and Microsoft's short names are facts taken from Microsoft's
//! published AADSTS list; every cause and fix is written here, for people
//! getting tokens for Azure Databricks (resource
//! `2ff814a6-3304-4ab8-85cb-cd0e6f879c1d`) where that matters.

/// One catalogued AADSTS error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AadstsCode {
    /// The number after "AADSTS".
    pub code: u32,
    /// Microsoft's short name for it.
    pub name: &'static str,
    /// Why it happens, in our words.
    pub cause: &'static str,
    /// What to do, in our words.
    pub fix: &'static str,
}

/// Looks a code up.
pub fn lookup(code: u32) -> Option<&'static AadstsCode> {
    CODES.iter().find(|c| c.code == code)
}

/// Every catalogued code.
pub fn all() -> &'static [AadstsCode] {
    CODES
}

const fn e(code: u32, name: &'static str, cause: &'static str, fix: &'static str) -> AadstsCode {
    AadstsCode {
        code,
        name,
        cause,
        fix,
    }
}

/// The catalogue, in numeric order.
static CODES: &[AadstsCode] = &[
    e(
        16000,
        "InteractionRequired (SelectUserAccount)",
        "The sign-in needs the user to pick or confirm an account: either several signed-in sessions exist and none was chosen (common with prompt=none), or the account used does not exist in the tenant the request went to.",
        "Retry interactively so the user can pick the right account. If the account is from another tenant or a personal Microsoft account, sign in with a work account of the tenant that holds the Databricks workspace, or have that tenant invite the user as a guest.",
    ),
    e(
        16001,
        "UserAccountSelectionInvalid",
        "The account tile the user clicked on the account picker was rejected by the session logic, for example because the session behind it is no longer valid.",
        "Pick the account again from the refreshed list, or choose 'Use another account' and sign in fresh. Clearing the browser's cookies for login.microsoftonline.com helps if it repeats.",
    ),
    e(
        16002,
        "AppSessionSelectionInvalid",
        "The application asked for a specific session (sid) and that session requirement could not be met.",
        "Drop the session hint from the request, or sign in again interactively so a new session exists.",
    ),
    e(
        16003,
        "SsoUserAccountNotFoundInResourceTenant",
        "The signed-in user was never explicitly added to the tenant the request was sent to, so single sign-on into it is refused.",
        "Add the user to that tenant (as a member or an invited guest), or send the request to the user's own tenant instead of /common.",
    ),
    e(
        17003,
        "CredentialKeyProvisioningFailed",
        "Entra ID could not provision the user's key (for Windows Hello for Business or a similar key-based credential).",
        "Retry the key registration; if it keeps failing, the device or tenant's key provisioning setup needs an administrator's attention.",
    ),
    e(
        20001,
        "WsFedSignInResponseError",
        "The federated identity provider (for example AD FS or a third-party IdP) returned an error in its WS-Federation sign-in response.",
        "Look at the federated identity provider's own logs for the same time; the fix is on the IdP side, not in the Databricks client.",
    ),
    e(
        20012,
        "WsFedMessageInvalid",
        "The WS-Federation message exchanged with the federated identity provider was not valid.",
        "Have the administrator of the federated identity provider check its WS-Federation configuration and certificates.",
    ),
    e(
        20033,
        "FedMetadataInvalidTenantName",
        "The federation metadata refers to a tenant name Entra ID cannot use.",
        "The administrator of the federated domain must correct the federation settings (domain and tenant names) between the IdP and Entra ID.",
    ),
    e(
        28002,
        "Scope not valid when requesting an access token",
        "The scope sent with the token request is not valid for getting an access token, for example an OpenID-only scope or a malformed resource scope.",
        "Request a resource scope. For Azure Databricks that is `2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default` (optionally together with offline_access, openid, profile).",
    ),
    e(
        28003,
        "Scope can't be empty when redeeming an authorization code",
        "The authorization code was redeemed with an empty scope parameter.",
        "Send the scope when redeeming the code, the same one used at /authorize, e.g. `2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default offline_access`.",
    ),
    e(
        40008,
        "OAuth2IdPUnretryableServerError",
        "An external OAuth2 identity provider the user is federated with failed with an error that retrying will not fix.",
        "The user's identity provider must fix the problem; report the time and correlation ID to its administrator.",
    ),
    e(
        40009,
        "OAuth2IdPRefreshTokenRedemptionUserError",
        "Redeeming a refresh token at the user's external identity provider failed because of the user's state there.",
        "Sign in interactively again; if it repeats, the external identity provider's administrator must look at the user's account.",
    ),
    e(
        40010,
        "OAuth2IdPRetryableServerError",
        "The external identity provider had a temporary failure.",
        "Retry after a short wait; if it persists, contact the identity provider's administrator.",
    ),
    e(
        40015,
        "OAuth2IdPAuthCodeRedemptionUserError",
        "Redeeming an authorization code at the external identity provider failed.",
        "Start the sign-in again; if it repeats, the external identity provider's administrator must investigate.",
    ),
    e(
        50000,
        "TokenIssuanceError",
        "The sign-in service itself failed while issuing the token.",
        "Retry. If it keeps happening, open a Microsoft support request with the trace ID, correlation ID and timestamp.",
    ),
    e(
        50001,
        "InvalidResource",
        "The resource the token was requested for is disabled or does not exist under the identifier that was sent.",
        "Check the resource or scope in the request character by character. For Azure Databricks use the application ID `2ff814a6-3304-4ab8-85cb-cd0e6f879c1d` (scope `2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default`), not the workspace URL.",
    ),
    e(
        50002,
        "NotAllowedTenant",
        "A proxy with tenant restrictions sits in front of the user and does not allow sign-in to this tenant.",
        "Ask the network or tenant administrator to allow this tenant in the tenant-restrictions policy, or connect from a network that does not apply it.",
    ),
    e(
        50003,
        "MissingSigningKey",
        "The application is set up for federated single sign-on (SAML) but has no signing certificate or key configured.",
        "In the enterprise application's single sign-on settings, create or activate a signing certificate.",
    ),
    e(
        50005,
        "DevicePolicyError",
        "A Conditional Access policy does not support the device platform the user signs in from.",
        "Sign in from a supported platform, or have the administrator review the device-platform conditions in Conditional Access.",
    ),
    e(
        50006,
        "InvalidSignature",
        "A signature on something sent to Entra ID (an assertion or request) did not verify.",
        "Make sure the signing key matches the certificate registered with the application or the federation, and that the signed content is not altered after signing.",
    ),
    e(
        50007,
        "PartnerEncryptionCertificateMissing",
        "The application requires token encryption but no encryption certificate was found for it.",
        "Upload the token encryption certificate for the application, or turn off token encryption; otherwise open a Microsoft support request.",
    ),
    e(
        50008,
        "InvalidSamlToken",
        "The SAML assertion from the federation provider is missing or misconfigured.",
        "Have the federation provider's administrator check the claims and format of the SAML assertion it sends.",
    ),
    e(
        50010,
        "AudienceUriValidationFailed",
        "The application has no token audience (identifier URI) configured, so Entra ID cannot validate the audience.",
        "Set the application's Identifier (Entity ID / App ID URI) in its registration or SSO configuration.",
    ),
    e(
        50011,
        "InvalidReplyTo",
        "The redirect_uri sent in the sign-in request does not exactly match any redirect URI registered on the app registration for that platform. Scheme, host, port, path, trailing slash and case all count; `localhost` and `127.0.0.1` are different hosts.",
        "Compare the redirect URI in the request with the ones under App registrations > your app > Authentication, and either register the exact value under the right platform (Web, Mobile and desktop applications, or Single-page application) or change the client to send a registered one. For the Databricks CLI or SDK the U2M login uses a loopback URI such as http://localhost:8020; register it under 'Mobile and desktop applications'.",
    ),
    e(
        50012,
        "AuthenticationFailed",
        "Client or certificate authentication failed: for example the client assertion is signed with a certificate that is not registered, the certificate's subject or thumbprint is not authorized, or its chain is not valid.",
        "Check that the certificate used to sign the client assertion is the one uploaded under Certificates & secrets, not expired, and that the assertion's x5t/kid header names it.",
    ),
    e(
        50013,
        "InvalidAssertion",
        "The assertion presented (for example the user token in an on-behalf-of call or a client assertion) is expired, malformed, issued for a different API version or audience, or otherwise invalid.",
        "Send a fresh, unexpired assertion whose audience is the calling application and whose issuer matches the tenant; decode it to check aud, iss and exp.",
    ),
    e(
        50014,
        "GuestUserInPendingState",
        "The user is a guest whose invitation has not been redeemed yet, so the account is not fully created in the tenant.",
        "Have the guest accept the invitation (or resend it), then sign in again.",
    ),
    e(
        50015,
        "ViralUserLegalAgeConsentRequiredState",
        "The user needs legal-age-group consent before being allowed to sign in.",
        "A parent or administrator must grant the required consent for the user.",
    ),
    e(
        50017,
        "CertificateValidationFailed",
        "Validating a certificate (for certificate-based authentication) failed: the issuing CA is not trusted, or its certificate revocation list could not be found or downloaded.",
        "The tenant administrator must check the certificate authorities configured for certificate-based authentication and that their CRL endpoints are reachable.",
    ),
    e(
        50020,
        "UserUnauthorized",
        "The account that signed in belongs to another tenant or identity provider (for example a personal Microsoft account or a user of a different organisation) and is not a guest in the tenant the request went to.",
        "Invite the user as a guest (B2B) into the tenant that owns the Databricks workspace, or sign in with an account of that tenant. When the app is single-tenant, use the tenant-specific authority (https://login.microsoftonline.com/<tenant-id>) rather than /common.",
    ),
    e(
        50027,
        "InvalidJwtToken",
        "A JWT sent to Entra ID is not acceptable: missing nonce or sub claim, wrong issuer or audience, duplicate claims, outside its validity window, or a bad signature.",
        "Decode the token you send (for example the client assertion or the federated token) and check its iss, aud, sub, exp and nbf claims and its signing key.",
    ),
    e(
        50029,
        "Invalid URI - domain name contains invalid characters",
        "A URI in the request has a domain name with characters that are not allowed.",
        "Correct the URI (authority, redirect URI or identifier) so its host name is a valid DNS name.",
    ),
    e(
        50032,
        "WeakRsaKey",
        "An RSA key that is too weak (too short) was used.",
        "Use an RSA key of at least 2048 bits for the certificate or credential.",
    ),
    e(
        50033,
        "RetryableError",
        "A transient failure inside the sign-in service.",
        "Retry the request after a short delay.",
    ),
    e(
        50034,
        "UserAccountNotFound",
        "No account with that sign-in name exists in the tenant the request went to: the name is mistyped, the user is in another tenant, or the authority points at the wrong tenant.",
        "Check the user name and the tenant in the authority URL. If the user belongs to another organisation, invite them as a guest to the tenant that holds the Databricks workspace.",
    ),
    e(
        50042,
        "UnableToGeneratePairwiseIdentifierWithMissingSalt",
        "The salt needed to generate a pairwise (per-application) user identifier is missing.",
        "This is a tenant configuration problem; the tenant administrator must contact Microsoft support.",
    ),
    e(
        50043,
        "UnableToGeneratePairwiseIdentifierWithMultipleSalts",
        "More than one salt was found for generating a pairwise user identifier.",
        "This is a tenant configuration problem; the tenant administrator must contact Microsoft support.",
    ),
    e(
        50048,
        "SubjectMismatchesIssuer",
        "In the client assertion the sub claim and the iss claim differ; for a client assertion both must be the application's client ID.",
        "Build the client assertion with iss = sub = the application (client) ID and aud = the tenant's token endpoint.",
    ),
    e(
        50049,
        "NoSuchInstanceForDiscovery",
        "The authority instance (host) used for discovery is unknown or invalid.",
        "Use a valid authority host such as https://login.microsoftonline.com (or the right national-cloud host), followed by the tenant.",
    ),
    e(
        50050,
        "MalformedDiscoveryRequest",
        "The discovery (metadata) request is malformed.",
        "Request metadata from https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration with a valid tenant.",
    ),
    e(
        50053,
        "IdsLocked",
        "The account is locked after too many failed sign-ins, or the sign-in was blocked because it came from an IP address known for malicious activity. Scripts retrying a wrong password can lock an account.",
        "Stop any automation retrying with a bad password, wait for the lockout to expire, and have an administrator check the sign-in logs (failure reason for code 50053). For unattended Databricks jobs use a service principal instead of a user's password.",
    ),
    e(
        50055,
        "InvalidPasswordExpiredPassword",
        "The user's password has expired.",
        "Reset the password (interactively or via self-service password reset), then update any stored credential. Automation should not rely on a user's password at all; use a service principal.",
    ),
    e(
        50056,
        "Invalid or null password",
        "No password exists in the directory for this user, or an empty password was sent.",
        "Send the user's password, or use a flow that does not need one (interactive or device code). Federated or passwordless users cannot use username-password sign-in.",
    ),
    e(
        50057,
        "UserDisabled",
        "The user account has been disabled by an administrator (in Entra ID or the on-premises Active Directory it syncs from).",
        "An administrator must re-enable the account, or use a different, active account.",
    ),
    e(
        50058,
        "UserInformationNotProvided",
        "A silent sign-in (prompt=none or a cached-session attempt) found no usable session: the user is not signed in or the session has expired.",
        "Fall back to an interactive sign-in. Libraries do this when they see interaction_required; make sure your code handles it instead of failing.",
    ),
    e(
        50059,
        "MissingTenantRealmAndNoUserInformationProvided",
        "Entra ID could not tell which tenant the request is for: the authority was /common or /organizations and nothing in the request named a user or tenant.",
        "Use the tenant-specific authority https://login.microsoftonline.com/<tenant-id> (the tenant that holds the Databricks workspace), or supply a login hint.",
    ),
    e(
        50061,
        "SignoutInvalidRequest",
        "The sign-out request was not valid.",
        "Check the logout URL and its parameters (post_logout_redirect_uri must be registered).",
    ),
    e(
        50064,
        "CredentialAuthenticationError",
        "Validating the user name or password failed.",
        "Check the credentials; if the user is federated, sign in through the federated identity provider instead of sending a password.",
    ),
    e(
        50068,
        "SignoutInitiatorNotParticipant",
        "The application that started the sign-out is not part of the current session.",
        "Start sign-out from an application that the user signed in to in this session.",
    ),
    e(
        50070,
        "SignoutUnknownSessionIdentifier",
        "The sign-out request named a user or session that does not match any current session.",
        "Send the session's own identifier (or none) in the logout request.",
    ),
    e(
        50071,
        "SignoutMessageExpired",
        "The sign-out request is too old.",
        "Create a new sign-out request.",
    ),
    e(
        50072,
        "UserStrongAuthEnrollmentRequiredInterrupt",
        "The user must register for multifactor authentication before continuing, which needs an interactive browser.",
        "Sign in interactively once and complete the MFA registration (https://aka.ms/mfasetup). Username-password (ROPC) and other non-interactive flows cannot do this.",
    ),
    e(
        50074,
        "UserStrongAuthClientAuthNRequiredInterrupt",
        "Strong authentication (MFA) is required and the user did not complete the challenge.",
        "Use a flow that can show the MFA prompt: interactive browser or device code. ROPC (username/password) cannot satisfy MFA; for unattended Databricks automation use a service principal.",
    ),
    e(
        50076,
        "UserStrongAuthClientAuthNRequired",
        "Multifactor authentication is required (by Conditional Access, per-user MFA or security defaults, or because the user signed in from a new location) and the request did not carry it. Username-password (ROPC) sign-in can never satisfy MFA.",
        "Acquire the token with a flow that can show the MFA prompt: interactive browser login (e.g. `az login`, `databricks auth login`) or device code (`az login --use-device-code`). For unattended jobs use a service principal (client credentials or workload identity federation), which MFA policies do not target.",
    ),
    e(
        50078,
        "UserStrongAuthExpired",
        "The user's earlier MFA is too old for the policy in force, so a fresh MFA is needed for this resource.",
        "Sign in interactively again and complete MFA; silent or refresh-token flows cannot renew it.",
    ),
    e(
        50079,
        "UserStrongAuthEnrollmentRequired",
        "Policy now requires MFA for this user, and the user has not registered an MFA method yet (or, for a federated user, the IdP did not send the MFA claim). Username-password (ROPC) sign-in cannot complete MFA registration.",
        "Have the user sign in interactively once and register security info at https://aka.ms/mfasetup; then use an interactive or device-code flow. For automation, switch to a service principal.",
    ),
    e(
        50085,
        "Refresh token needs social IDP login",
        "The refresh token can only be renewed by signing in again with the social identity provider.",
        "Have the user sign in interactively again.",
    ),
    e(
        50086,
        "SasNonRetryableError",
        "The strong-authentication (MFA) service returned an error that retrying will not fix.",
        "Check the user's MFA methods; an administrator may need to reset them.",
    ),
    e(
        50087,
        "SasRetryableError",
        "A transient error happened in the strong-authentication (MFA) service.",
        "Retry the sign-in after a short wait.",
    ),
    e(
        50088,
        "Limit on telecom MFA calls reached",
        "Too many phone-call or SMS MFA attempts were made in a short time.",
        "Wait a few minutes before retrying, or use the Authenticator app instead of phone calls or SMS.",
    ),
    e(
        50089,
        "Flow token expired",
        "The sign-in took too long and its internal flow token expired.",
        "Start the sign-in again and complete it promptly.",
    ),
    e(
        50097,
        "DeviceAuthenticationRequired",
        "Conditional Access requires the device to authenticate (a registered, joined or compliant device), and the request did not prove the device's identity.",
        "Sign in from a registered or joined device through a client that can present the device (a browser with the Microsoft SSO extension, the Windows account broker, or the Company Portal on macOS). Headless servers cannot satisfy this; use a service principal.",
    ),
    e(
        50099,
        "PKeyAuthInvalidJwtUnauthorized",
        "The JWT signature used for device (PKeyAuth) authentication is invalid.",
        "Re-register the device, or sign in from a device whose registration is healthy (`dsregcmd /status` on Windows).",
    ),
    e(
        50105,
        "EntitlementGrantsNotFound",
        "The application requires user assignment ('Assignment required' is on for its enterprise application) and the signed-in user is neither assigned directly nor through a group.",
        "In Enterprise applications > the app > Users and groups, assign the user or one of their groups, or turn off 'Assignment required'.",
    ),
    e(
        50107,
        "InvalidRealmUri",
        "The requested federation realm object does not exist.",
        "The tenant administrator must check the federation settings of the domain.",
    ),
    e(
        50120,
        "ThresholdJwtInvalidJwtFormat",
        "There is a problem with the JWT header sent.",
        "Check that the token sent is a well-formed compact JWS (header.payload.signature) with a valid header.",
    ),
    e(
        50124,
        "ClaimsTransformationInvalidInputParameter",
        "A claims transformation configured on the application has an invalid input parameter.",
        "The administrator must fix the claims transformation in the application's claims configuration.",
    ),
    e(
        50125,
        "PasswordResetRegistrationRequiredInterrupt",
        "Sign-in was interrupted to make the user reset a password or register for self-service password reset.",
        "Sign in interactively and complete the prompt; then retry.",
    ),
    e(
        50126,
        "InvalidUserNameOrPassword",
        "The user name or password is wrong. With the username-password (ROPC) flow this is also what federated users, users without a cloud password, and personal accounts get.",
        "Check the credentials (watch for an expired or recently changed password). If the user is federated or uses passwordless sign-in, ROPC cannot work: use the interactive or device-code flow, or a service principal for automation.",
    ),
    e(
        50127,
        "BrokerAppNotInstalled",
        "Access needs a broker app (Microsoft Authenticator or Company Portal) on the device, and none is installed.",
        "Install the broker app the policy requires and sign in again.",
    ),
    e(
        50128,
        "Invalid domain name",
        "No tenant could be found from the request: the tenant or domain in the authority, or the domain of the user name, is not known to Entra ID.",
        "Use the tenant ID (GUID) or a verified domain of the tenant in the authority URL, and check the domain part of the user name.",
    ),
    e(
        50129,
        "DeviceIsNotWorkplaceJoined",
        "Workplace join (device registration) is required and the device is not joined.",
        "Register the device with Entra ID (Settings > Accounts > Access work or school on Windows), then sign in again.",
    ),
    e(
        50131,
        "ConditionalAccessFailed",
        "A Conditional Access check failed for a reason other than MFA: bad device state, a request flagged as suspicious, or a security policy decision.",
        "Look up the sign-in in the Entra sign-in logs (by correlation ID) to see which policy failed, and meet its condition or ask the administrator.",
    ),
    e(
        50132,
        "SsoArtifactInvalidOrExpired",
        "The single sign-on session is no longer valid, typically because the password expired or was changed recently.",
        "Sign in interactively again; refresh tokens from the old session will not work.",
    ),
    e(
        50133,
        "SsoArtifactRevoked",
        "The session was revoked, typically after a password change or an administrator revoking sessions.",
        "Sign in interactively again (e.g. rerun `az login` or `databricks auth login`) to get a new refresh token.",
    ),
    e(
        50134,
        "DeviceFlowAuthorizeWrongDatacenter",
        "The device-code sign-in was approved in a different data center than the one where the request was started.",
        "Start the device-code flow again and approve it promptly from the same region or cloud.",
    ),
    e(
        50135,
        "PasswordChangeCompromisedPassword",
        "Identity Protection considers the account at risk and requires a password change.",
        "Change the password interactively (or have an administrator reset it and dismiss the risk), then sign in again.",
    ),
    e(
        50136,
        "RedirectMsaSessionToApp",
        "A single personal Microsoft account session was found and is being redirected to the application.",
        "Usually no action; if the wrong account is used, sign out of the personal account and sign in with the work account.",
    ),
    e(
        50139,
        "SessionMissingMsaOAuth2RefreshToken",
        "The session is invalid because an external (personal account) refresh token is missing.",
        "Sign in interactively again.",
    ),
    e(
        50140,
        "KmsiInterrupt",
        "The 'Stay signed in?' prompt interrupted the sign-in; it is a normal step of the interactive flow, not a failure of its own.",
        "Let the user answer the prompt. If a login helper reports this code, it stopped at that page; retry the interactive sign-in and complete it.",
    ),
    e(
        50143,
        "Session mismatch",
        "The session's user tenant does not match the domain hint, because a different resource was requested.",
        "Drop or correct the domain hint, or sign out and sign in to the intended tenant.",
    ),
    e(
        50144,
        "InvalidPasswordExpiredOnPremPassword",
        "The user's on-premises Active Directory password has expired.",
        "Reset the password (on-premises or via self-service password reset with writeback), then sign in again.",
    ),
    e(
        50146,
        "MissingCustomSigningKey",
        "The application must be configured with an application-specific signing key, and it has none or the key is expired or not yet valid.",
        "The application owner must configure a valid signing key or certificate for the application.",
    ),
    e(
        50147,
        "MissingCodeChallenge",
        "The PKCE code_challenge parameter has an invalid size.",
        "Send a code_challenge that is the base64url SHA-256 of a 43-128 character code_verifier, with code_challenge_method=S256.",
    ),
    e(
        50148,
        "The code_verifier does not match the code_challenge (PKCE)",
        "The code_verifier sent when redeeming the authorization code does not match the code_challenge sent at /authorize.",
        "Use the same code_verifier that produced the code_challenge for that sign-in, and do not reuse verifiers across concurrent logins. Check that the challenge is base64url(SHA-256(verifier)) without padding when the method is S256.",
    ),
    e(
        50155,
        "DeviceAuthenticationFailed",
        "Device authentication failed for this user, for example because the device's registration is broken or the device was deleted.",
        "Check the device's registration (`dsregcmd /status` on Windows) and re-register it if needed.",
    ),
    e(
        50158,
        "ExternalSecurityChallenge",
        "An external security challenge required by policy (for example a third-party MFA provider through custom controls or external authentication methods) was not satisfied.",
        "Complete the external challenge in an interactive sign-in. Non-interactive flows cannot; use a service principal for automation.",
    ),
    e(
        50161,
        "InvalidExternalSecurityChallengeConfiguration",
        "The external claims provider sent too few claims or a requested claim is missing.",
        "The administrator must fix the configuration of the external authentication provider.",
    ),
    e(
        50166,
        "ExternalClaimsProviderThrottled",
        "The request to the external claims provider could not be sent, because it was throttled.",
        "Retry later; if it persists, contact the administrator of the external provider.",
    ),
    e(
        50168,
        "ChromeBrowserSsoInterruptRequired",
        "The browser could get an SSO token through the Windows accounts extension, but none was in the request or it had expired.",
        "Install or enable the Microsoft SSO extension in Chrome, or sign in interactively.",
    ),
    e(
        50169,
        "InvalidRequestBadRealm",
        "The realm is not a configured realm of the current service namespace.",
        "Check the realm or identifier sent in the request against the application's configuration.",
    ),
    e(
        50170,
        "MissingExternalClaimsProviderMapping",
        "The mapping for external controls is missing.",
        "The administrator must configure the external controls mapping.",
    ),
    e(
        50173,
        "FreshTokenNeeded",
        "The grant (refresh token) was revoked, typically because the user changed or reset the password or an administrator revoked the user's sessions.",
        "Sign in interactively again (e.g. rerun `az login` or `databricks auth login`) and use the new refresh token. Clear stale token caches if a tool keeps replaying the old one.",
    ),
    e(
        50177,
        "ExternalChallengeNotSupportedForPassthroughUsers",
        "An external challenge is not supported for pass-through users.",
        "Sign in with an account that belongs to the tenant, or have the administrator change the policy.",
    ),
    e(
        50178,
        "SessionControlNotSupportedForPassthroughUsers",
        "A session control is not supported for pass-through users.",
        "Sign in with an account that belongs to the tenant, or have the administrator change the policy.",
    ),
    e(
        50180,
        "WindowsIntegratedAuthMissing",
        "Integrated Windows authentication is needed but the tenant is not enabled for Seamless SSO.",
        "Enable Seamless SSO for the tenant, or sign in with a different method.",
    ),
    e(
        50187,
        "DeviceInformationNotProvided",
        "The service failed to perform device authentication: device information was missing.",
        "Sign in through a client that passes device information (broker or SSO extension) or from a registered device.",
    ),
    e(
        50192,
        "RawCredentialExpectedNotFound",
        "No credential was included in the sign-in request, e.g. certificate-based authentication without a client certificate (or a proxy stripped it).",
        "Make sure the client certificate reaches Entra ID (no TLS-inspecting proxy removes it) or use another sign-in method.",
    ),
    e(
        50194,
        "Application not configured as multi-tenant",
        "The app registration is single-tenant but the request used the /common (or /organizations) endpoint, which such applications can no longer use.",
        "Use the tenant-specific authority https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0/... (for Databricks tooling set the tenant ID, e.g. `azure_tenant_id` or ARM_TENANT_ID), or make the app multi-tenant if it really serves other tenants.",
    ),
    e(
        50196,
        "LoopDetected",
        "The client made the same request too many times in a short period: it is stuck in a loop, usually because it does not cache tokens or mishandles an error.",
        "Cache and reuse tokens until they are near expiry, back off on errors, and fix the loop in the calling code.",
    ),
    e(
        50197,
        "ConflictingIdentities",
        "The user could not be identified unambiguously.",
        "Sign out everywhere and sign in again with the intended account.",
    ),
    e(
        50199,
        "CmsiInterrupt",
        "For security, the user must confirm that this app is the one they meant to sign in to; shown for custom-scheme redirects in mobile browsers and web views.",
        "Let the user confirm. To avoid the prompt, use an http(s) redirect URI.",
    ),
    e(
        51000,
        "RequiredFeatureNotEnabled",
        "The feature the request needs is disabled.",
        "Use a supported flow, or ask the tenant administrator whether the feature can be enabled.",
    ),
    e(
        51001,
        "DomainHintMustbePresent",
        "A domain hint is required together with an on-premises security identifier or UPN.",
        "Add a domain_hint parameter to the request.",
    ),
    e(
        51004,
        "UserAccountNotInDirectory",
        "The user account does not exist in the directory the request was sent to; often the application picked the wrong tenant.",
        "Send the request to the user's tenant (the one that holds the Databricks workspace), or invite the user as a guest there.",
    ),
    e(
        51005,
        "TemporaryRedirect",
        "Like an HTTP 307: the information is at the URI in the Location header.",
        "Follow the Location header, keeping the method (POST stays POST).",
    ),
    e(
        51006,
        "ForceReauthDueToInsufficientAuth",
        "Integrated Windows authentication is required and the session token lacks that claim.",
        "Sign in again, using integrated Windows authentication.",
    ),
    e(
        52004,
        "DelegationDoesNotExistForLinkedIn",
        "The user has not consented to access to LinkedIn resources.",
        "Have the user sign in interactively and grant the LinkedIn consent.",
    ),
    e(
        53000,
        "DeviceNotCompliant",
        "Conditional Access requires a compliant (e.g. Intune-managed) device and this device is not compliant or not known to be.",
        "Enrol the device in the organisation's MDM and bring it into compliance, and sign in through a client that passes the device identity (browser with SSO extension or the account broker). Service principals are not subject to device policies.",
    ),
    e(
        53001,
        "DeviceNotDomainJoined",
        "Conditional Access requires a domain-joined (hybrid joined) device and this one is not.",
        "Sign in from a hybrid-joined corporate device, or ask the administrator for an exception.",
    ),
    e(
        53002,
        "ApplicationUsedIsNotAnApprovedApp",
        "Conditional Access allows only approved client apps, and the app used is not on that list.",
        "Use one of the approved client apps, or ask the administrator to review the policy.",
    ),
    e(
        53003,
        "BlockedByConditionalAccess",
        "A Conditional Access policy blocked token issuance for this user, app, location, device or client type. Policies often block legacy or non-interactive flows such as username-password (ROPC) or device code.",
        "Look up the sign-in in the Entra sign-in logs by correlation ID, open the Conditional Access tab and see which policy blocked it. Then use a flow the policy allows (interactive browser sign-in from a managed device, device code only if allowed), or a service principal for automation, or ask the administrator for an exclusion.",
    ),
    e(
        53004,
        "ProofUpBlockedDueToRisk",
        "The user must complete MFA registration before access, but registration is blocked because of risk.",
        "An administrator must remediate the user's risk; then the user can register MFA methods.",
    ),
    e(
        53010,
        "ProofUpBlockedDueToSecurityInfoAcr",
        "MFA methods cannot be registered from here because the organisation requires registration from specific locations or devices.",
        "Register security info from a trusted location or device, as the policy requires.",
    ),
    e(
        53011,
        "User blocked due to risk on home tenant",
        "The user's home tenant flagged the user as risky and blocked access.",
        "The home tenant's administrator must remediate the user's risk.",
    ),
    e(
        54000,
        "MinorUserBlockedLegalAgeGroupRule",
        "The user is a minor and blocked by the legal-age-group rules.",
        "A parent or administrator must provide consent, or the user cannot use this application.",
    ),
    e(
        54005,
        "OAuth2 Authorization code was already redeemed",
        "The authorization code was already exchanged for tokens once; codes are single-use. Often the code is redeemed twice (a retry, two handlers, or a page reload).",
        "Redeem each code exactly once and keep the refresh token for later tokens; start a new interactive sign-in to get a fresh code.",
    ),
    e(
        65001,
        "DelegationDoesNotExist",
        "Nobody has consented to this application using the requested API for the user: for Azure Databricks, the app registration lacks the AzureDatabricks permission `user_impersonation`, or the permission is listed but neither the user nor an administrator has granted consent. Non-interactive flows (username-password, refresh, on-behalf-of) cannot show a consent prompt, so they fail with this code.",
        "In App registrations > your app > API permissions, choose Add a permission > APIs my organization uses > AzureDatabricks > Delegated > `user_impersonation`. Then grant consent once: either sign in interactively once and accept the consent prompt, or have an administrator press 'Grant admin consent for <organisation>' on that page or open https://login.microsoftonline.com/<tenant>/adminconsent?client_id=<client-id>. After that, the programmatic flow works.",
    ),
    e(
        65002,
        "Consent between first-party application and first-party resource must be configured via preauthorization",
        "A Microsoft-owned application ID was used to request a token for another Microsoft API that has not pre-authorized it; you cannot borrow Microsoft's client IDs for your own calls.",
        "Register your own application, give it the API permission you need (e.g. AzureDatabricks `user_impersonation`) and use its client ID.",
    ),
    e(
        65004,
        "UserDeclinedConsent",
        "The user declined the consent prompt (clicked Cancel), so the application was not granted the permissions.",
        "Sign in again and accept the consent, or have an administrator grant consent for the tenant (https://login.microsoftonline.com/<tenant>/adminconsent?client_id=<client-id>).",
    ),
    e(
        65005,
        "MisconfiguredApplication",
        "The app's required-permissions list does not include the resource it requested, the resource cannot be found in the tenant, or (for SAML) the identifier is wrong.",
        "Add the resource under API permissions (for Databricks: AzureDatabricks > `user_impersonation`), make sure the resource exists in the tenant, then grant consent.",
    ),
    e(
        67003,
        "ActorNotValidServiceIdentity",
        "The actor in the request is not a valid service identity.",
        "Check the identity used as the actor (on-behalf-of or delegation chain) is a valid service principal in the tenant.",
    ),
    e(
        70000,
        "InvalidGrant",
        "The grant presented is not valid: the refresh token or code is malformed, revoked, for another client or tenant, or token-binding checks failed.",
        "Sign in again to get a fresh code or refresh token, and make sure it is redeemed by the same client ID and tenant that requested it.",
    ),
    e(
        70001,
        "UnauthorizedClient",
        "The application is disabled, or is not allowed for this request in the tenant.",
        "An administrator must enable the application (Enterprise applications > the app > Properties > 'Enabled for users to sign-in?').",
    ),
    e(
        70002,
        "InvalidClient",
        "Validating the client's credentials failed: the client_secret or client assertion does not match what is registered, or a confidential-client flow was attempted without credentials.",
        "Check the client ID and the secret value (not its ID) or certificate under Certificates & secrets; for public clients, allow public client flows instead of sending credentials.",
    ),
    e(
        70003,
        "UnsupportedGrantType",
        "The grant_type in the token request is not supported for this endpoint or application.",
        "Use a supported grant type: authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code, password or urn:ietf:params:oauth:grant-type:jwt-bearer.",
    ),
    e(
        70004,
        "InvalidRedirectUri",
        "The redirect URI does not match any configured address or any address on the OIDC approved list.",
        "Register the exact redirect URI used by the client on the app registration, under the right platform.",
    ),
    e(
        70005,
        "UnsupportedResponseType",
        "The response_type requested is not supported or not enabled: for example 'token' without implicit access tokens enabled, or 'id_token' without the openid scope.",
        "Use response_type=code with PKCE, or enable the implicit-grant token type under Authentication if you truly need it; include openid when asking for an id_token.",
    ),
    e(
        70007,
        "UnsupportedResponseMode",
        "The response_mode requested is not supported for this request.",
        "Use query, fragment or form_post as allowed for the response type (form_post for id_token with code).",
    ),
    e(
        70008,
        "ExpiredOrRevokedGrant",
        "The refresh token or authorization code expired (e.g. after long inactivity) or was revoked.",
        "Sign in interactively again to get a new refresh token (e.g. `az login`, `databricks auth login`).",
    ),
    e(
        70011,
        "InvalidScope",
        "The scope parameter is not valid: a bare resource without /.default, a resource URL with a typo, more than one resource in one request, or a scope that does not exist on the API.",
        "For Azure Databricks request the scope `2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default` (for delegated flows you may add offline_access). For client credentials the scope must be exactly `<resource>/.default`.",
    ),
    e(
        70012,
        "MsaServerError",
        "A server error happened while authenticating a personal Microsoft account.",
        "Retry; if it persists, open a Microsoft support request.",
    ),
    e(
        70016,
        "AuthorizationPending",
        "Device-code flow: the user has not finished signing in on the other device yet. This is the expected answer while polling.",
        "Keep polling at the interval returned by the device-code endpoint until the user completes sign-in or the code expires.",
    ),
    e(
        70018,
        "BadVerificationCode",
        "Device-code flow: the user typed a wrong code at https://microsoft.com/devicelogin.",
        "Enter the code exactly as shown, or start a new device-code sign-in.",
    ),
    e(
        70019,
        "CodeExpired",
        "Device-code flow: the code expired (after about 15 minutes) before the user finished signing in.",
        "Start the device-code sign-in again and complete it promptly.",
    ),
    e(
        70043,
        "BadTokenDueToSignInFrequency",
        "A Conditional Access sign-in frequency policy says the refresh token is too old, so a new sign-in is required.",
        "Sign in interactively again (e.g. rerun `az login` or `databricks auth login`); long-running jobs should use a service principal instead of a user's refresh token.",
    ),
    e(
        75001,
        "BindingSerializationError",
        "An error occurred during SAML message binding.",
        "Check the SAML request's encoding and binding (HTTP-Redirect or HTTP-POST).",
    ),
    e(
        75003,
        "UnsupportedBindingError",
        "The app asked for a SAML binding that cannot be used for the response (responses only go by HTTP POST).",
        "Configure the application's reply URL for the HTTP-POST binding.",
    ),
    e(
        75005,
        "Saml2MessageInvalid",
        "Entra ID does not support the SAML request the app sent for SSO.",
        "Check the SAML request's format, signature and required attributes against what Entra ID accepts.",
    ),
    e(
        75008,
        "RequestDeniedError",
        "The SAML request was denied because it had an unexpected Destination.",
        "Set the SAML request's Destination to the tenant's SAML endpoint.",
    ),
    e(
        75011,
        "NoMatchedAuthnContextInOutputClaims",
        "The way the user authenticated does not match the authentication method the application requested (RequestedAuthnContext in SAML).",
        "Remove or relax the RequestedAuthnContext in the SAML request, or sign in with the method the app asks for.",
    ),
    e(
        75016,
        "Saml2AuthenticationRequestInvalidNameIDPolicy",
        "The SAML2 authentication request has an invalid NameIDPolicy.",
        "Use a supported NameID format in the request, or remove the NameIDPolicy.",
    ),
    e(
        76021,
        "ApplicationRequiresSignedRequests",
        "The application requires signed SAML requests and the request was not signed.",
        "Sign the SAML request with the registered certificate, or turn off the requirement.",
    ),
    e(
        76026,
        "RequestIssueTimeExpired",
        "The IssueInstant in the SAML2 authentication request is too old.",
        "Send a fresh request, and check that the service provider's clock is correct.",
    ),
    e(
        80001,
        "OnPremiseStoreIsNotAvailable",
        "The pass-through authentication agent cannot reach Active Directory.",
        "Check that the authentication agent servers are in the same forest as the users and can reach a domain controller.",
    ),
    e(
        80002,
        "OnPremisePasswordValidatorRequestTimedout",
        "Password validation by the pass-through authentication agent timed out.",
        "Make sure Active Directory is available and answering the agents' requests.",
    ),
    e(
        80005,
        "OnPremisePasswordValidatorUnpredictableWebException",
        "An unknown error happened while handling the response from the pass-through authentication agent.",
        "Retry; if it keeps failing, open a Microsoft support request with the correlation ID.",
    ),
    e(
        80007,
        "OnPremisePasswordValidatorErrorOccurredOnPrem",
        "The pass-through authentication agent could not validate the user's password.",
        "Check the agent's logs and the health of Active Directory.",
    ),
    e(
        80010,
        "OnPremisePasswordValidationEncryptionException",
        "The pass-through authentication agent could not decrypt the password.",
        "Check the authentication agent's installation and certificates; re-register the agent if needed.",
    ),
    e(
        80012,
        "OnPremisePasswordValidationAccountLogonInvalidHours",
        "The user tried to sign in outside the logon hours allowed in Active Directory.",
        "Sign in during the allowed hours, or have an AD administrator change the user's logon hours.",
    ),
    e(
        80013,
        "OnPremisePasswordValidationTimeSkew",
        "The clocks of the authentication agent's machine and Active Directory are too far apart.",
        "Fix time synchronisation between the agent servers and the domain controllers.",
    ),
    e(
        80014,
        "OnPremisePasswordValidationAuthenticationAgentTimeout",
        "The pass-through authentication agent answered after the maximum allowed time.",
        "Check the agent servers' load and connectivity; open a support request with the correlation ID if it repeats.",
    ),
    e(
        81004,
        "DesktopSsoIdentityInTicketIsNotAuthenticated",
        "The Kerberos authentication attempt for Seamless SSO failed.",
        "Sign in with a user name and password, and check the device's Kerberos configuration for Seamless SSO.",
    ),
    e(
        81005,
        "DesktopSsoAuthenticationPackageNotSupported",
        "The authentication package used for Seamless SSO is not supported.",
        "Check that the browser is configured for Kerberos (not NTLM) with the Seamless SSO URL.",
    ),
    e(
        81006,
        "DesktopSsoNoAuthorizationHeader",
        "No Kerberos authorization header was found for Seamless SSO.",
        "Add the Seamless SSO URL to the browser's intranet zone, or sign in with a user name and password.",
    ),
    e(
        81007,
        "DesktopSsoTenantIsNotOptIn",
        "The tenant is not enabled for Seamless SSO.",
        "Enable Seamless SSO in Entra Connect, or sign in with a user name and password.",
    ),
    e(
        81009,
        "DesktopSsoAuthorizationHeaderValueWithBadFormat",
        "The user's Kerberos ticket could not be validated.",
        "Sign in with a user name and password; check the Seamless SSO computer account in AD.",
    ),
    e(
        81010,
        "DesktopSsoAuthTokenInvalid",
        "Seamless SSO failed because the user's Kerberos ticket has expired or is invalid.",
        "Lock and unlock or sign out and in to Windows to get a fresh Kerberos ticket (`klist purge` also works), or sign in with a user name and password.",
    ),
    e(
        81011,
        "DesktopSsoLookupUserBySidFailed",
        "No user object matching the Kerberos ticket could be found.",
        "Check that the on-premises user is synchronised to Entra ID.",
    ),
    e(
        81012,
        "DesktopSsoMismatchBetweenTokenUpnAndChosenUpn",
        "The user signing in to Entra ID is not the user signed in to the device.",
        "Sign in as the device's user, or use a user name and password for the other account.",
    ),
    e(
        90002,
        "InvalidTenantName",
        "The tenant in the authority URL (GUID or domain) was not found: a typo, a deleted tenant, a domain that is not verified in any tenant, or a tenant that lives in another cloud.",
        "Use the tenant ID of the directory that holds the Databricks workspace (Azure portal > Microsoft Entra ID > Overview > Tenant ID, or `az account show --query tenantId`), and the authority host of the right cloud.",
    ),
    e(
        90004,
        "InvalidRequestFormat",
        "The request is not properly formatted.",
        "Send the token request as an HTTP POST with Content-Type application/x-www-form-urlencoded and URL-encoded parameters.",
    ),
    e(
        90005,
        "InvalidRequestWithMultipleRequirements",
        "The request combines an identifier and a login hint, which cannot be used together.",
        "Send only one of them.",
    ),
    e(
        90006,
        "ExternalServerRetryableError",
        "A service Entra ID depends on is temporarily unavailable.",
        "Retry after a short delay.",
    ),
    e(
        90007,
        "InvalidSessionId",
        "The session ID passed cannot be parsed.",
        "Remove the malformed session ID (sid) from the request.",
    ),
    e(
        90008,
        "TokenForItselfRequiresGraphPermission",
        "The application asked for a token for itself but has not been granted at least the sign-in-and-read-profile permission.",
        "Add Microsoft Graph User.Read (delegated) to the app and grant consent.",
    ),
    e(
        90009,
        "TokenForItselfMissingIdenticalAppIdentifier",
        "The application requested a token for itself using an identifier other than its GUID application ID.",
        "Request the token with the application's GUID client ID as the resource (e.g. `<client-id>/.default`).",
    ),
    e(
        90010,
        "NotSupported",
        "The request asked for something not supported, for example an algorithm that cannot be created, or a grant type over the /common or /consumers endpoints.",
        "Use the tenant-specific authority https://login.microsoftonline.com/<tenant-id> and a supported algorithm and grant type.",
    ),
    e(
        90012,
        "RequestTimeout",
        "The request timed out.",
        "Retry the request.",
    ),
    e(
        90013,
        "InvalidUserInput",
        "What the user entered is not valid.",
        "Check the entered value (user name format, code) and try again.",
    ),
    e(
        90014,
        "MissingRequiredField",
        "A required field is missing from the request or the credential, e.g. no grant_type, client_id, scope or code, or a client assertion without a required claim.",
        "Add the missing parameter named in the message. For Databricks tokens a client-credentials request needs grant_type=client_credentials, client_id, client_secret (or client_assertion) and scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default.",
    ),
    e(
        90015,
        "QueryStringTooLong",
        "The query string is too long.",
        "Send fewer or shorter parameters; use POST (form_post) for large requests.",
    ),
    e(
        90016,
        "MissingRequiredClaim",
        "The token presented is not valid because a required claim is missing.",
        "Decode the token sent and check it is the right kind of token, issued for the right audience.",
    ),
    e(
        90019,
        "MissingTenantRealm",
        "Entra ID could not determine the tenant from the request.",
        "Use a tenant-specific authority: https://login.microsoftonline.com/<tenant-id>.",
    ),
    e(
        90020,
        "SAML 1.1 Assertion is missing ImmutableID",
        "The SAML 1.1 assertion from the federated IdP does not carry the user's ImmutableID.",
        "The federated identity provider must send the ImmutableID (sourceAnchor) of the user.",
    ),
    e(
        90022,
        "AuthenticatedInvalidPrincipalNameFormat",
        "The principal name is not in the expected `name[/host][@realm]` format.",
        "Correct the principal name format.",
    ),
    e(
        90023,
        "InvalidRequest",
        "The request to the authentication service is not valid.",
        "Compare the request with the protocol documentation; check endpoint, method and parameters.",
    ),
    e(
        90024,
        "RequestBudgetExceededError",
        "A transient error: the request exceeded its processing budget.",
        "Retry after a short delay.",
    ),
    e(
        90027,
        "Unable to issue tokens from this API version on the MSA tenant",
        "A v1.0 endpoint was used for a personal Microsoft account, which needs the v2.0 protocol.",
        "Use the v2.0 endpoints (/oauth2/v2.0/authorize and /oauth2/v2.0/token).",
    ),
    e(
        90033,
        "MsodsServiceUnavailable",
        "The directory service is not available.",
        "Retry after a short delay.",
    ),
    e(
        90036,
        "MsodsServiceUnretryableFailure",
        "An unexpected, non-retryable error occurred in the directory service.",
        "Open a Microsoft support request with the trace ID, correlation ID and timestamp.",
    ),
    e(
        90038,
        "NationalCloudTenantRedirection",
        "The tenant belongs to a national cloud that does not federate with the cloud the request was sent to.",
        "Send the request to the authority host of the tenant's cloud (e.g. login.microsoftonline.us for Azure Government, login.chinacloudapi.cn for Azure China), matching the cloud of the Databricks workspace.",
    ),
    e(
        90043,
        "NationalCloudAuthCodeRedirection",
        "The feature is disabled.",
        "Use the authority host of the tenant's own cloud.",
    ),
    e(
        90051,
        "InvalidNationalCloudId",
        "The national cloud identifier is not valid.",
        "Check the cloud or instance setting of the client library.",
    ),
    e(
        90055,
        "TenantThrottlingError",
        "Too many requests are coming in for this tenant; the tenant is being throttled.",
        "Cache tokens and reuse them until they near expiry, and back off before retrying.",
    ),
    e(
        90056,
        "BadResourceRequest",
        "The token endpoint was called the wrong way, e.g. with GET instead of POST, or without an authorization code.",
        "Get a code from /authorize first, then POST it to /token with the form-encoded parameters.",
    ),
    e(
        90072,
        "PassThroughUserMfaError",
        "The account signing in does not exist in the tenant signed in to (an external user), so it cannot satisfy that tenant's MFA; or a synced user's ImmutableID does not match.",
        "Add the user as a guest to the tenant first, or sign in with an account of that tenant.",
    ),
    e(
        90081,
        "OrgIdWsFederationMessageInvalid",
        "A WS-Federation message could not be processed because it is not valid.",
        "Check the WS-Federation request the application sends.",
    ),
    e(
        90082,
        "OrgIdWsFederationNotSupported",
        "The authentication policy chosen for the request is not supported.",
        "Use another sign-in method or protocol.",
    ),
    e(
        90084,
        "OrgIdWsFederationGuestNotAllowed",
        "Guest accounts are not allowed for this site.",
        "Sign in with a member account of the tenant.",
    ),
    e(
        90085,
        "OrgIdWsFederationSltRedemptionFailed",
        "No token can be issued because the company object is not provisioned yet.",
        "Wait for provisioning to complete, then retry.",
    ),
    e(
        90086,
        "OrgIdWsTrustDaTokenExpired",
        "The user's DA token has expired.",
        "Sign in again.",
    ),
    e(
        90087,
        "OrgIdWsFederationMessageCreationFromUriFailed",
        "Creating the WS-Federation message from the URI failed.",
        "Check the WS-Federation URI parameters.",
    ),
    e(
        90090,
        "GraphRetryableError",
        "A service Entra ID relies on is temporarily unavailable.",
        "Retry after a short delay.",
    ),
    e(
        90091,
        "GraphServiceUnreachable",
        "A directory service Entra ID relies on could not be reached.",
        "Retry after a short delay.",
    ),
    e(
        90092,
        "GraphNonRetryableError",
        "A directory service Entra ID relies on returned an error that retrying will not fix.",
        "Open a Microsoft support request with the trace ID and correlation ID.",
    ),
    e(
        90093,
        "GraphUserUnauthorized",
        "The directory refused the request with a forbidden error.",
        "Check the permissions the calling identity has in the directory.",
    ),
    e(
        90094,
        "AdminConsentRequired",
        "The permissions requested need an administrator's consent (or the tenant forbids users from consenting to apps), so the user cannot grant them alone.",
        "A Global, Privileged Role or Cloud Application Administrator must grant consent: 'Grant admin consent' under the app's API permissions, or https://login.microsoftonline.com/<tenant>/adminconsent?client_id=<client-id>.",
    ),
    e(
        90095,
        "AdminConsentRequiredRequestAccess",
        "The tenant's admin-consent workflow is on: the user is asked to request an administrator's approval instead of consenting.",
        "Submit the approval request and wait for an administrator to approve it, or have an administrator grant consent directly (https://login.microsoftonline.com/<tenant>/adminconsent?client_id=<client-id>).",
    ),
    e(
        90099,
        "Application not authorized in the tenant (partner delegated admin)",
        "A partner's delegated administrator used an application that has not been authorized in the customer tenant.",
        "Pre-consent the application in the customer tenant, or authorize it through the Partner Center API.",
    ),
    e(
        90100,
        "InvalidRequestParameter",
        "A parameter is empty or invalid.",
        "Find the parameter named in the message and correct its value.",
    ),
    e(
        90101,
        "InvalidEmailAddress",
        "The data supplied is not a valid email address.",
        "Use an address of the form someone@example.com.",
    ),
    e(
        90102,
        "InvalidUriParameter",
        "A value that must be an absolute URI is not one (often the redirect_uri).",
        "Send an absolute URI including scheme and host, e.g. http://localhost:8020 or https://app.example.com/callback.",
    ),
    e(
        90107,
        "InvalidXml",
        "The request is not valid; the data contains invalid characters.",
        "Remove invalid characters from the request and encode values properly.",
    ),
    e(
        90114,
        "InvalidExpiryDate",
        "The bulk token's expiry timestamp would produce an already-expired token.",
        "Choose an expiry in the future.",
    ),
    e(
        90117,
        "InvalidRequestInput",
        "The input of the request is not valid.",
        "Check the parameters of the request against the protocol documentation.",
    ),
    e(
        90119,
        "InvalidUserCode",
        "The device-flow user code is null or empty.",
        "Enter the code shown by the device.",
    ),
    e(
        90120,
        "InvalidDeviceFlowRequest",
        "The device-code request was already approved or declined.",
        "Start a new device-code sign-in.",
    ),
    e(
        90121,
        "InvalidEmptyRequest",
        "The request is empty.",
        "Send the request with its parameters in a form-encoded POST body.",
    ),
    e(
        90123,
        "IdentityProviderAccessDenied",
        "The identity or claims-issuance provider refused the request, so no token can be issued.",
        "Check the identity provider's logs and policies for this user.",
    ),
    e(
        90124,
        "V1ResourceV2GlobalEndpointNotSupported",
        "The resource cannot be used over the /common or /consumers endpoints.",
        "Use the /organizations or tenant-specific authority, e.g. https://login.microsoftonline.com/<tenant-id>.",
    ),
    e(
        90125,
        "DebugModeEnrollTenantNotFound",
        "The user is not in the system.",
        "Check the user name.",
    ),
    e(
        90126,
        "DebugModeEnrollTenantNotInferred",
        "The tenant cannot be inferred from the user name on this endpoint.",
        "Use a tenant-specific authority or a user name with the tenant's domain.",
    ),
    e(
        90130,
        "NonConvergedAppV2GlobalEndpointNotSupported",
        "The application cannot be used over the /common or /consumers endpoints.",
        "Use the /organizations or tenant-specific authority.",
    ),
    e(
        120000,
        "PasswordChangeIncorrectCurrentPassword",
        "The current password entered during a password change is wrong.",
        "Enter the correct current password.",
    ),
    e(
        120002,
        "PasswordChangeInvalidNewPasswordWeak",
        "The new password is too weak.",
        "Choose a longer, more complex password.",
    ),
    e(
        120003,
        "PasswordChangeInvalidNewPasswordContainsMemberName",
        "The new password contains the user's name.",
        "Choose a password that does not contain the user name.",
    ),
    e(
        120004,
        "PasswordChangeOnPremComplexity",
        "The new password does not meet the on-premises complexity rules.",
        "Choose a password that meets the Active Directory password policy.",
    ),
    e(
        120005,
        "PasswordChangeOnPremSuccessCloudFail",
        "The password changed on premises but the change failed in the cloud.",
        "Wait for synchronisation or retry; contact the administrator if it persists.",
    ),
    e(
        120008,
        "PasswordChangeAsyncJobStateTerminated",
        "A non-retryable error ended the password change.",
        "Contact the administrator.",
    ),
    e(
        120011,
        "PasswordChangeAsyncUpnInferenceFailed",
        "The user could not be determined for the password change.",
        "Enter the full user principal name.",
    ),
    e(
        120012,
        "PasswordChangeNeedsToHappenOnPrem",
        "The password must be changed on premises.",
        "Change the password in the on-premises Active Directory.",
    ),
    e(
        120013,
        "PasswordChangeOnPremisesConnectivityFailure",
        "The password could not be changed because the on-premises directory could not be reached.",
        "Retry later; the administrator should check password writeback connectivity.",
    ),
    e(
        120014,
        "PasswordChangeOnPremUserAccountLockedOutOrDisabled",
        "The on-premises account is locked out or disabled.",
        "Have an AD administrator unlock or enable the account.",
    ),
    e(
        120015,
        "PasswordChangeADAdminActionRequired",
        "An Active Directory administrator must act before the password can be changed.",
        "Contact the AD administrator.",
    ),
    e(
        120016,
        "PasswordChangeUserNotFoundBySspr",
        "Self-service password reset could not find the user.",
        "Check the user name.",
    ),
    e(
        120018,
        "PasswordChangePasswordDoesnotComplyFuzzyPolicy",
        "The new password is too similar to a banned or old password.",
        "Choose a substantially different password.",
    ),
    e(
        120020,
        "PasswordChangeFailure",
        "The password change failed.",
        "Retry, or ask the administrator to reset the password.",
    ),
    e(
        120021,
        "PartnerServiceSsprInternalServiceError",
        "An internal error in the self-service password reset service.",
        "Retry later.",
    ),
    e(
        130004,
        "NgcKeyNotFound",
        "The user has no Windows Hello for Business (NGC) key configured.",
        "Set up Windows Hello for Business again, or sign in with another method.",
    ),
    e(
        130005,
        "NgcInvalidSignature",
        "Verifying the Windows Hello for Business key signature failed.",
        "Re-provision Windows Hello for Business on the device.",
    ),
    e(
        130006,
        "NgcTransportKeyNotFound",
        "The Windows Hello transport key is not configured on the device.",
        "Re-register the device and Windows Hello for Business.",
    ),
    e(
        130007,
        "NgcDeviceIsDisabled",
        "The device is disabled.",
        "An administrator must enable the device in Entra ID.",
    ),
    e(
        130008,
        "NgcDeviceIsNotFound",
        "The device named by the Windows Hello key was not found.",
        "Re-register the device with Entra ID.",
    ),
    e(
        135010,
        "KeyNotFound",
        "The key that identifies the device (from its registration) was not found, typically because the device object was deleted or its registration is broken.",
        "Check the device's state (`dsregcmd /status`) and re-register or re-join it; then sign in again.",
    ),
    e(
        135011,
        "Device used during the authentication is disabled",
        "The device the user signed in from is disabled in Entra ID.",
        "An administrator must enable the device, or sign in from another device.",
    ),
    e(
        140000,
        "InvalidRequestNonce",
        "The request's nonce was not provided.",
        "Include a nonce in the request.",
    ),
    e(
        140001,
        "InvalidSessionKey",
        "The session key is not valid.",
        "Sign in again to create a new session.",
    ),
    e(
        165900,
        "InvalidApiRequest",
        "The request is invalid.",
        "Check the request's endpoint, method and parameters.",
    ),
    e(
        220450,
        "UnsupportedAndroidWebViewVersion",
        "The Chrome WebView version on the Android device is not supported.",
        "Update Android System WebView and Chrome.",
    ),
    e(
        220501,
        "InvalidCrlDownload",
        "A certificate revocation list could not be downloaded.",
        "The administrator must make the CRL distribution points of the certificate authorities reachable.",
    ),
    e(
        221000,
        "DeviceOnlyTokensNotSupportedByResource",
        "The resource does not accept device-only tokens.",
        "Request a user or application token instead.",
    ),
    e(
        230109,
        "CachedCredentialNonGWAuthNRequestsNotSupported",
        "The backup authentication service accepts only requests coming through the Entra gateway; the request reached it directly.",
        "Use the normal authority host (https://login.microsoftonline.com) rather than a backup-service address.",
    ),
    e(
        240001,
        "BulkAADJTokenUnauthorized",
        "The user is not authorized to register devices in Entra ID.",
        "An administrator must allow the user to join devices, or use an authorized account.",
    ),
    e(
        240002,
        "RequiredClaimIsMissing",
        "An id_token was presented as a jwt-bearer grant, which it cannot be.",
        "Present an access token whose audience is the calling application for on-behalf-of, not an id_token.",
    ),
    e(
        500011,
        "InvalidResourceServicePrincipalNotFound",
        "The resource (API) named in the request has no service principal in the tenant the request went to. For Azure Databricks this means the Azure Databricks application (2ff814a6-3304-4ab8-85cb-cd0e6f879c1d) is not provisioned in this tenant (no workspace was ever created here, or you sent the request to the wrong tenant), or the resource ID or URL in the request is wrong (a typo, or the workspace URL used as the resource).",
        "Request the token for resource `2ff814a6-3304-4ab8-85cb-cd0e6f879c1d` (scope `2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default`) from the tenant that holds the Databricks workspace. If that is already the case, the tenant lacks the Azure Databricks service principal: creating a workspace in the tenant provisions it, or an administrator can add it with `az ad sp create --id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d`.",
    ),
    e(
        500021,
        "Access to tenant is denied (tenant restrictions)",
        "Tenant restrictions are enforced on the network (the Restrict-Access-To-Tenant header) and this tenant is not on the allowed list.",
        "Ask the network administrator to allow the tenant, or sign in from a network that does not enforce tenant restrictions.",
    ),
    e(
        500022,
        "Access to tenant is denied (tenant restrictions v2)",
        "The tenant restrictions policy does not allow access to this tenant.",
        "Ask the administrator of the user's home tenant to allow the resource tenant in the tenant restrictions policy.",
    ),
    e(
        500112,
        "The reply address does not match the one used to request the authorization code",
        "The redirect_uri sent when redeeming the authorization code differs from the one sent at /authorize when the code was obtained.",
        "Send exactly the same redirect_uri in the token request as in the authorization request.",
    ),
    e(
        500113,
        "No reply address is registered for the application",
        "The app registration has no redirect URI at all, so Entra ID has nowhere to send the answer.",
        "Add a redirect URI under App registrations > your app > Authentication on the right platform (for the Databricks CLI/SDK login, e.g. http://localhost:8020 under 'Mobile and desktop applications').",
    ),
    e(
        500117,
        "The reply URI specified in the request isn't using a secure scheme",
        "The redirect URI uses plain http on a host other than localhost; only loopback addresses may use http.",
        "Use an https redirect URI, or http://localhost for local development tools.",
    ),
    e(
        500133,
        "Assertion isn't within its valid time range",
        "The assertion presented (typically the incoming user access token in an on-behalf-of exchange) has expired or is not yet valid.",
        "Refresh the user's token before using it as an assertion, and check that the clock of the machine making the call is correct.",
    ),
    e(
        500172,
        "Certificate isn't valid (time range)",
        "The certificate used is outside its validity period (expired or not yet valid).",
        "Use a currently valid certificate and register it with the application.",
    ),
    e(
        500208,
        "The domain is not a valid login domain for the account type",
        "The account type does not match what the tenant or app accepts, e.g. a personal Microsoft account where only work or school accounts are allowed.",
        "Sign in with a work or school account of the tenant that holds the Databricks workspace.",
    ),
    e(
        500212,
        "NotAllowedByOutboundPolicyTenant",
        "The user's home tenant has an outbound cross-tenant access policy that does not allow access to the resource tenant.",
        "The home tenant's administrator must allow the resource tenant in the outbound cross-tenant access settings.",
    ),
    e(
        500213,
        "NotAllowedByInboundPolicyTenant",
        "The resource tenant's inbound cross-tenant access policy does not allow this user in.",
        "The resource tenant's administrator must allow the user's organisation in the inbound cross-tenant access settings.",
    ),
    e(
        500341,
        "The user account has been deleted from the directory",
        "The user account was deleted from the directory.",
        "Restore the user (deleted users can be restored for 30 days) or use another account.",
    ),
    e(
        501461,
        "AcceptMappedClaims not supported for this audience",
        "AcceptMappedClaims works only when the token audience is the application's GUID or within the tenant's verified domains.",
        "Change the resource identifier, or use an application-specific signing key.",
    ),
    e(
        501481,
        "Code_Verifier doesn't match code_challenge",
        "The PKCE code_verifier sent when redeeming the code does not match the code_challenge from the authorization request.",
        "Redeem the code with the code_verifier generated for that same sign-in.",
    ),
    e(
        501491,
        "InvalidCodeChallengeMethodInvalidSize",
        "The code_challenge parameter has an invalid size.",
        "Send a 43-character base64url SHA-256 code_challenge with code_challenge_method=S256.",
    ),
    e(
        530002,
        "Your device is required to be compliant to access this resource",
        "Conditional Access requires a compliant device and the device is not compliant or not known to be.",
        "Enrol the device in the organisation's MDM and make it compliant, and sign in through a browser or broker that presents the device identity.",
    ),
    e(
        530003,
        "Your device is required to be managed to access this resource",
        "Conditional Access requires a managed device (compliant or hybrid joined) to reach this resource, and the device is not managed, or the browser or tool does not pass the device's identity (e.g. a CLI on Linux, or a browser without the SSO extension).",
        "Sign in from a managed device through a client that presents its identity (Edge or Chrome with the Microsoft SSO extension, the Windows account broker, Company Portal). From unmanaged machines or CI, use a service principal, to which device policies do not apply.",
    ),
    e(
        530032,
        "BlockedByConditionalAccessOnSecurityPolicy",
        "A tenant security policy blocked the request.",
        "Check the tenant's security policies (and the sign-in log entry) to see what the request must meet.",
    ),
    e(
        530034,
        "DelegatedAdminBlockedDueToSuspiciousActivity",
        "A delegated administrator was blocked because of account risk in their home tenant.",
        "The home tenant must remediate the administrator's risk.",
    ),
    e(
        530035,
        "BlockedBySecurityDefaults",
        "Security defaults blocked the request, usually because it used legacy authentication or looked unsafe.",
        "Use modern authentication flows with MFA (interactive or device code), or a service principal for automation.",
    ),
    e(
        650052,
        "Service not subscribed or enabled",
        "The app needs a service the organisation has not subscribed to or enabled, so no service principal for it exists in the tenant.",
        "An administrator must enable or provision the service in the tenant (for Azure Databricks, a workspace in a subscription of this tenant provisions it).",
    ),
    e(
        650053,
        "Scope doesn't exist on the resource",
        "The app asked for a scope that the resource does not define.",
        "Ask for a scope the API exposes; for Azure Databricks the delegated scope is `user_impersonation` (or use `2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default`).",
    ),
    e(
        650054,
        "Resource removed or no longer available",
        "The application asked for permissions on a resource that was removed or is no longer available in the tenant.",
        "Remove the stale permission from the app registration and make sure all resources it calls exist in the tenant.",
    ),
    e(
        650056,
        "Misconfigured application",
        "The client does not list any permission for the requested resource in its registration, or nobody has consented, or the client ID or certificate in the request is wrong.",
        "Under API permissions add the resource's permission (for Databricks: AzureDatabricks > `user_impersonation`), grant admin consent, and check the client ID sent matches the app registration.",
    ),
    e(
        650057,
        "Invalid resource (not in requested permissions)",
        "The client asked for a token for a resource that is not among the API permissions of its app registration.",
        "Add the resource to the app's API permissions (for Azure Databricks: AzureDatabricks > Delegated > `user_impersonation`) and grant consent, or request a resource that is listed.",
    ),
    e(
        700003,
        "Device object was not found in the tenant directory",
        "The device the sign-in presented (through its primary refresh token or certificate) no longer exists in the tenant, typically because an administrator deleted it or it was registered to another tenant.",
        "Re-register or re-join the device (e.g. disconnect and reconnect the work account, or `dsregcmd /leave` then join again), then sign in.",
    ),
    e(
        700005,
        "InvalidGrantRedeemAgainstWrongTenant",
        "The authorization code was obtained for one tenant and redeemed against another.",
        "Redeem the code at the same authority (/common or /<tenant-id>) it was requested from.",
    ),
    e(
        700011,
        "UnauthorizedClientAppNotFoundInOrgIdTenant",
        "The client application was not found in the directory the request went to.",
        "Check the client ID and the tenant; for a multi-tenant app, have the tenant's administrator consent to it first.",
    ),
    e(
        700016,
        "UnauthorizedClient_DoesNotMatchRequest",
        "No application with this client ID exists in the tenant the request went to: the client ID is wrong (mistyped, an object ID instead of the application ID, a deleted app), or the request went to a different tenant than the one the app lives in, or a multi-tenant app was never consented in this tenant.",
        "Use the 'Application (client) ID' from the app registration's Overview page (not its Object ID), and the tenant ID of the tenant where it is registered in the authority URL. For a multi-tenant app, an administrator of the other tenant must consent to it first.",
    ),
    e(
        700020,
        "InteractionRequired",
        "The access grant requires the user to interact, e.g. to consent or complete MFA.",
        "Retry with an interactive sign-in.",
    ),
    e(
        700022,
        "InvalidMultipleResourcesScope",
        "The scope lists permissions of more than one resource; one access token is for one resource.",
        "Request one resource per token: e.g. `2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default` alone for Databricks, and make a separate request for Microsoft Graph or Azure Resource Manager.",
    ),
    e(
        700023,
        "InvalidResourcelessScope",
        "The scope names no resource, so no access token can be issued for it.",
        "Add a resource scope, e.g. `2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default` for Azure Databricks.",
    ),
    e(
        700024,
        "Client assertion is not within its valid time range",
        "The client assertion JWT (a certificate-signed assertion, or a federated token such as a GitHub Actions, Kubernetes or other workload identity token) is expired or not yet valid, or the signing machine's clock is off.",
        "Create a new client assertion for each token request with a short lifetime, fetch a fresh federated token (they often live only minutes), and make sure the clock is synchronised.",
    ),
    e(
        700025,
        "InvalidClientPublicClientWithCredential",
        "The app is registered as a public client, yet the request carried a client_secret or client_assertion.",
        "Either stop sending credentials from the public client, or turn off 'Allow public client flows' and treat the app as confidential.",
    ),
    e(
        700027,
        "Client assertion failed signature validation",
        "The client assertion is signed with a key whose certificate is not registered on the app (or the kid/x5t header points at a different certificate).",
        "Upload the public certificate of the signing key under Certificates & secrets, and set the assertion's x5t (or x5t#S256) header to that certificate's thumbprint.",
    ),
    e(
        700030,
        "Invalid certificate - subject name not authorized",
        "The certificate's subject names are not authorized for this application.",
        "Use a certificate whose subject matches what is configured for the application, or update the trusted subject configuration.",
    ),
    e(
        700051,
        "Response_type 'token' not enabled for the application",
        "The app asked for an access token directly from /authorize (implicit flow), but implicit access tokens are not enabled on its registration.",
        "Prefer the authorization code flow with PKCE. If you must use the implicit flow, enable 'Access tokens' under Authentication > Implicit grant and hybrid flows.",
    ),
    e(
        700054,
        "Response_type 'id_token' not enabled for the application",
        "The app asked for an ID token from /authorize but ID-token implicit grant is not enabled.",
        "Enable 'ID tokens' under Authentication > Implicit grant and hybrid flows, or use the authorization code flow.",
    ),
    e(
        700082,
        "ExpiredOrRevokedGrantInactiveToken",
        "The refresh token expired because it went unused for too long (about 90 days of inactivity).",
        "Sign in interactively again (e.g. `az login`, `databricks auth login`). Long-running automation should use a service principal, not a user's refresh token.",
    ),
    e(
        700084,
        "SPA refresh token expired",
        "Refresh tokens issued to single-page applications have a fixed lifetime (24 hours) that cannot be extended; this one has reached it.",
        "Send the user through a new sign-in request from the SPA.",
    ),
    e(
        700211,
        "No matching federated identity record for issuer",
        "Workload identity federation: no federated credential on the app has the issuer found in the presented token.",
        "Add a federated credential whose issuer exactly matches the token's iss (e.g. https://token.actions.githubusercontent.com), or fix the issuer configured.",
    ),
    e(
        700212,
        "No matching federated identity record for audience",
        "Workload identity federation: no federated credential on the app accepts the audience of the presented token.",
        "Make the external token's audience match the federated credential's audience (default api://AzureADTokenExchange).",
    ),
    e(
        700213,
        "No matching federated identity record for subject",
        "Workload identity federation: the token's sub claim matches no federated credential on the app (e.g. a different GitHub branch, environment or Kubernetes service account).",
        "Add a federated credential with exactly the subject in the token (e.g. repo:org/repo:environment:prod), or run from the branch or environment already configured.",
    ),
    e(
        700229,
        "ForbiddenTokenType",
        "Only app-only tokens can be used as federated identity credentials for the Entra issuer; a user-delegated token was sent.",
        "Use an access token obtained with the client credentials flow (or a managed identity) as the assertion.",
    ),
    e(
        900144,
        "Missing required body parameter",
        "The token request body lacks a required parameter (named in the message), e.g. grant_type, client_id, scope or code.",
        "Add the parameter named in the message to the form-encoded POST body. For Databricks: scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default.",
    ),
    e(
        900236,
        "InvalidRequestSamlPropertyUnsupported",
        "The SAML authentication request sets a property that is not supported.",
        "Remove the property named in the message from the SAML request.",
    ),
    e(
        900382,
        "Confidential Client isn't supported in Cross Cloud request",
        "A confidential client tried to authenticate across clouds.",
        "Use an app registration in the same cloud as the tenant and resource.",
    ),
    e(
        900384,
        "JWT token failed signature validation",
        "A JWT sent to Entra ID (e.g. a client assertion or federated token) failed signature validation.",
        "Check the key that signs the JWT matches the registered certificate or the issuer's published keys.",
    ),
    e(
        900432,
        "Confidential Client isn't supported in Cross Cloud request",
        "A confidential client was used in a cross-cloud request, which is not supported.",
        "Register the application in the same cloud as the tenant and resource.",
    ),
    e(
        900561,
        "BadResourceRequestInvalidRequest",
        "The endpoint was called with an HTTP method it does not accept (e.g. GET on the token endpoint), sometimes just because the user pressed Back.",
        "Use POST for the token endpoint; a stray one caused by the Back button can be ignored.",
    ),
    e(
        900971,
        "No reply address provided",
        "The request carried no redirect URI and none could be chosen for the app.",
        "Send a redirect_uri that is registered on the app registration.",
    ),
    e(
        901002,
        "The 'resource' request parameter isn't supported",
        "A v1-style resource parameter was sent to a v2.0 endpoint.",
        "Use scope=<resource>/.default instead, e.g. scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default.",
    ),
    e(
        1000000,
        "UserNotBoundError",
        "The Bind API needs the user to also authenticate with an external IdP, which has not happened yet.",
        "Complete the sign-in with the external identity provider.",
    ),
    e(
        1000002,
        "BindCompleteInterruptError",
        "The bind succeeded but the user must be told about it.",
        "No fix needed; continue the sign-in.",
    ),
    e(
        1000031,
        "Application can't be accessed at this time",
        "The application is temporarily unavailable to users, for example because it is being configured or was blocked by the administrator.",
        "Contact the tenant administrator; retry later.",
    ),
    e(
        1000104,
        "XCB2BResourceCloudNotAllowedOnIdentityTenant",
        "The resource's cloud is not allowed for the user's home tenant (cross-cloud B2B).",
        "Configure cross-cloud B2B settings in both tenants, or use an account from the resource's cloud.",
    ),
    e(
        5000819,
        "InvalidSamlTokenEmailMissingOrInvalid",
        "The SAML assertion lacks an email address claim or it does not match the external realm's domain.",
        "The federated IdP must send a valid email claim in the domain of the external realm.",
    ),
    e(
        7000112,
        "UnauthorizedClientApplicationDisabled",
        "The application (or its service principal) is disabled in the tenant.",
        "An administrator must re-enable it: Enterprise applications > the app > Properties > 'Enabled for users to sign-in?' = Yes (or `accountEnabled` true on the service principal).",
    ),
    e(
        7000114,
        "Application not allowed to make application on-behalf-of calls",
        "The application attempted an application-level on-behalf-of call it is not allowed to make.",
        "Use a user-delegated on-behalf-of call, or client credentials for app-only access.",
    ),
    e(
        7000215,
        "Invalid client secret is provided",
        "The client_secret sent is not a valid secret of this application. The most common mistake is sending the secret's ID (a GUID shown in the 'Secret ID' column) instead of its Value, which is only shown once when created; other causes are a secret from another app registration, stray whitespace or quotes, or missing URL-encoding of characters such as + or /.",
        "Under App registrations > your app > Certificates & secrets, create a new client secret and copy its Value (not the Secret ID) immediately; store it (e.g. in a Databricks secret scope or Key Vault) and URL-encode it in form bodies. Make sure the client ID belongs to the same app registration.",
    ),
    e(
        7000218,
        "The request body must contain 'client_assertion' or 'client_secret'",
        "The request came without client credentials (as public clients send: device code, username-password (ROPC), or a desktop/CLI login), but the app registration is not treated as a public client, so Entra ID demands a client_secret or client_assertion.",
        "If the app is meant to be a public client (CLI, desktop, device code), set Authentication > Advanced settings > 'Allow public client flows' to Yes (`isFallbackPublicClient` true in the manifest). If it is a confidential client, send its client secret or a certificate-signed client assertion with the token request.",
    ),
    e(
        7000222,
        "InvalidClientSecretExpiredKeysProvided",
        "The client secret used has passed its expiry date.",
        "Create a new client secret under Certificates & secrets, update every place that uses it (pipeline variables, Databricks secret scopes, Key Vault), and delete the expired one; consider a certificate or workload identity federation to avoid rotating secrets.",
    ),
    e(
        7500514,
        "Supported SAML response type not found",
        "No SAML Response or Assertion of a supported type was found.",
        "Send a samlp:Response or saml:Assertion in the SAML 2.0 namespaces.",
    ),
    e(
        7500529,
        "Value isn't a valid SAML ID",
        "The ID attribute of the SAML request is not a valid SAML ID, for example because it begins with a digit (a bare GUID).",
        "Generate IDs that start with a letter or underscore, e.g. prefix the GUID with 'id'.",
    ),
    e(
        9001023,
        "Grant type not supported over /common or /consumers",
        "The grant type (e.g. client credentials) cannot be used with the /common or /consumers endpoints.",
        "Use the tenant-specific authority https://login.microsoftonline.com/<tenant-id> (or /organizations).",
    ),
    e(
        9002313,
        "InvalidRequest - request is malformed or invalid",
        "Something in the request to the endpoint is malformed: bad encoding, a wrong content type, or an invalid parameter value.",
        "Capture the request (without secrets) and check the method, content type and each parameter's encoding.",
    ),
    e(
        9002326,
        "Cross-origin token redemption only for SPA",
        "A browser made a cross-origin token request, but the redirect URI is registered on the Web platform, not as a single-page application.",
        "Register the redirect URI under the 'Single-page application' platform, or redeem the code from a server.",
    ),
    e(
        9002327,
        "SPA tokens redeemable only via cross-origin requests",
        "A code issued for a single-page application redirect URI was redeemed from a server rather than from the browser.",
        "Redeem SPA codes from the browser, or register the redirect URI under the Web platform for server-side redemption.",
    ),
    e(
        9002331,
        "Application configured for Microsoft Account users only",
        "The app accepts only personal Microsoft accounts, but a work or school account or a non-consumer endpoint was used.",
        "Use the /consumers endpoint, or change the app's supported account types.",
    ),
    e(
        9002332,
        "Application configured for Microsoft Entra users only",
        "The app accepts only work or school accounts, but the /consumers endpoint was used.",
        "Use the tenant-specific or /organizations endpoint.",
    ),
    e(
        9002341,
        "User is required to permit Single Sign-On",
        "The user has not allowed the application to perform single sign-on.",
        "Send the user to an interactive sign-in where they can permit it.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn has_at_least_130_codes() {
        assert!(all().len() >= 130, "only {} codes", all().len());
    }

    #[test]
    fn no_duplicate_code_and_in_order() {
        let mut seen = HashSet::new();
        for c in all() {
            assert!(seen.insert(c.code), "duplicate AADSTS{}", c.code);
        }
        assert!(
            all().windows(2).all(|w| w[0].code < w[1].code),
            "CODES must stay in numeric order"
        );
    }

    #[test]
    fn every_entry_is_filled_in() {
        for c in all() {
            assert!(!c.name.trim().is_empty(), "AADSTS{} has no name", c.code);
            assert!(!c.cause.trim().is_empty(), "AADSTS{} has no cause", c.code);
            assert!(!c.fix.trim().is_empty(), "AADSTS{} has no fix", c.code);
        }
    }

    #[test]
    fn the_codes_we_promise_are_there() {
        let wanted = [
            65001, 50011, 7000218, 50076, 50079, 53003, 500011, 700016, 7000215, 7000222, 50126,
            50034, 50020, 90002, 50194, 70011, 50001, 50012, 50053, 50055, 50057, 50058, 50059,
            50072, 50074, 50078, 50097, 50105, 50128, 50131, 50132, 50133, 50140, 50148, 50158,
            50173, 51004, 53000, 53001, 53002, 54005, 65004, 65005, 70000, 70001, 70002, 70003,
            70008, 70016, 70018, 70019, 70043, 75011, 80001, 80012, 81010, 90014, 90072, 90094,
            90095, 135010, 500113, 500133, 530003, 650056, 650057, 700003, 700024, 700027, 700051,
            700054, 7000112, 7500529, 1000031,
        ];
        for code in wanted {
            assert!(lookup(code).is_some(), "AADSTS{code} missing");
        }
    }

    #[test]
    fn key_texts_are_specific() {
        let consent = lookup(65001).unwrap();
        assert!(consent.fix.contains("user_impersonation"));
        assert!(consent.fix.contains("adminconsent?client_id="));
        assert!(lookup(7000218)
            .unwrap()
            .fix
            .to_lowercase()
            .contains("public client"));
        assert!(lookup(500011)
            .unwrap()
            .fix
            .contains("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"));
        assert!(lookup(70011)
            .unwrap()
            .fix
            .contains("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default"));
        assert!(lookup(7000215).unwrap().cause.contains("Secret ID"));
        for mfa in [50076, 50079, 53003] {
            let c = lookup(mfa).unwrap();
            assert!(
                c.cause.contains("ROPC") || c.fix.contains("ROPC"),
                "AADSTS{mfa}"
            );
            assert!(c.fix.contains("service principal"), "AADSTS{mfa}");
        }
    }

    #[test]
    fn unknown_code_is_none() {
        assert!(lookup(1).is_none());
        assert!(lookup(u32::MAX).is_none());
    }
}
