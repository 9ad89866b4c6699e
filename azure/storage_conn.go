package azure

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// StorageOptions says how to reach a storage account. A connection string wins over the
// account name and endpoints; without one, spotdeck signs in with Entra ID.
type StorageOptions struct {
	// ConnectionString may be "UseDevelopmentStorage=true" for the local emulator.
	ConnectionString string
	// Account is the account name, for Entra sign-in (https://<a>.queue.core.windows.net).
	Account string
	// QueueEndpoint is an explicit queue endpoint (sovereign clouds, emulator with Entra).
	QueueEndpoint string
	// BlobEndpoint is an explicit blob endpoint, for the same reasons.
	BlobEndpoint string
}

// String describes the options without the connection string's secrets, so options that
// reach a log or an error message by accident leak nothing.
func (o StorageOptions) String() string {
	conn := ""
	if strings.TrimSpace(o.ConnectionString) != "" {
		conn = "(set, not shown)"
	}
	return fmt.Sprintf("StorageOptions{ConnectionString: %s, Account: %q, QueueEndpoint: %q, "+
		"BlobEndpoint: %q}", conn, o.Account, redactSecrets(o.QueueEndpoint),
		redactSecrets(o.BlobEndpoint))
}

// GoString keeps %#v as discreet as %v.
func (o StorageOptions) GoString() string {
	return o.String()
}

// The storage emulator's development account. Microsoft publishes this key in the
// emulator's documentation; it opens nothing but a local emulator.
const (
	devStorageAccount = "devstoreaccount1"
	devStorageKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/" +
		"K1SZFPTOtr/KBHBeksoGMGw=="
	devStorageHost  = "127.0.0.1"
	devBlobPort     = "10000"
	devQueuePort    = "10001"
	defaultSuffix   = "core.windows.net"
	defaultProtocol = "https"
)

// ErrBadConnectionString is wrapped by every error of ParseConnectionString.
var ErrBadConnectionString = errors.New("storage connection string is not valid")

// ConnString is a parsed storage connection string. Endpoints are always filled when the
// account name or the endpoint itself is known, and never end in a slash. AccountKey and
// SharedAccessSignature are secrets: String and GoString leave them out.
type ConnString struct {
	AccountName string
	// AccountKey is the base64 shared key; empty when the string carries a SAS instead.
	AccountKey string
	// SharedAccessSignature is the SAS query, without a leading "?".
	SharedAccessSignature string
	QueueEndpoint         string
	BlobEndpoint          string
	// Emulator tells that the string was UseDevelopmentStorage=true.
	Emulator bool
}

// String describes the connection string with its secrets left out.
func (c ConnString) String() string {
	credential := "none"
	switch {
	case c.AccountKey != "":
		credential = "account key (not shown)"
	case c.SharedAccessSignature != "":
		credential = "shared access signature (not shown)"
	}
	return fmt.Sprintf("ConnString{AccountName: %q, QueueEndpoint: %q, BlobEndpoint: %q, "+
		"Credential: %s, Emulator: %t}", c.AccountName, c.QueueEndpoint, c.BlobEndpoint,
		credential, c.Emulator)
}

// GoString keeps %#v as discreet as %v.
func (c ConnString) GoString() string {
	return c.String()
}

// connStringFix ends every parse error: where a good connection string comes from.
const connStringFix = "copy the connection string from the storage account's Access keys " +
	"in the portal, or use UseDevelopmentStorage=true for the local emulator"

// ParseConnectionString reads a storage connection string: the explicit form with
// AccountName and AccountKey (or SharedAccessSignature), DefaultEndpointsProtocol,
// EndpointSuffix and explicit endpoints; or UseDevelopmentStorage=true, which means the
// local emulator's well-known account. Keys are matched without regard to case. Errors
// name the missing or wrong part and never contain a key or signature.
func ParseConnectionString(s string) (ConnString, error) {
	fields, err := connStringFields(s)
	if err != nil {
		return ConnString{}, err
	}
	if _, ok := fields["usedevelopmentstorage"]; ok {
		return developmentConnString(fields)
	}
	return explicitConnString(fields)
}

// connStringFields splits "Key=Value;..." into a map keyed by the lower-cased key. Values
// keep their case: keys and signatures are case-sensitive.
func connStringFields(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, connStringError("it is empty")
	}
	fields := map[string]string{}
	for i, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, value, found := strings.Cut(part, "=")
		key = strings.TrimSpace(key)
		if !found || key == "" {
			// The part itself is not shown: it may be a fragment of the key.
			return nil, connStringError(fmt.Sprintf("part %d is not of the form Key=Value", i+1))
		}
		lower := strings.ToLower(key)
		if _, dup := fields[lower]; dup {
			return nil, connStringError(key + " appears more than once")
		}
		fields[lower] = strings.TrimSpace(value)
	}
	return fields, nil
}

func connStringError(problem string) error {
	return fmt.Errorf("%w: %s; %s", ErrBadConnectionString, problem, connStringFix)
}

// developmentConnString expands UseDevelopmentStorage=true into the emulator's account,
// because azqueue and azblob accept only the explicit form. DevelopmentStorageProxyUri
// moves the emulator to another host with the same ports.
func developmentConnString(fields map[string]string) (ConnString, error) {
	if !strings.EqualFold(fields["usedevelopmentstorage"], "true") {
		return ConnString{}, connStringError("UseDevelopmentStorage must be true; " +
			"remove it to name an account instead")
	}
	scheme, host := "http", devStorageHost
	for key, value := range fields {
		switch key {
		case "usedevelopmentstorage":
		case "developmentstorageproxyuri":
			proxy, err := checkEndpoint("DevelopmentStorageProxyUri", value)
			if err != nil {
				return ConnString{}, connStringError(err.Error())
			}
			scheme, host = proxy.Scheme, proxy.Hostname()
		default:
			return ConnString{}, connStringError("UseDevelopmentStorage=true cannot be " +
				"combined with other settings; use either it alone or an explicit account")
		}
	}
	return ConnString{
		AccountName:   devStorageAccount,
		AccountKey:    devStorageKey,
		QueueEndpoint: devEndpoint(scheme, host, devQueuePort),
		BlobEndpoint:  devEndpoint(scheme, host, devBlobPort),
		Emulator:      true,
	}, nil
}

// devEndpoint returns an emulator endpoint, which carries the account in its path.
func devEndpoint(scheme, host, port string) string {
	return scheme + "://" + net.JoinHostPort(host, port) + "/" + devStorageAccount
}

// explicitConnString checks the credential and fills in endpoints the string leaves out
// from the account name, protocol and suffix, as Azure's own clients do.
func explicitConnString(fields map[string]string) (ConnString, error) {
	conn := ConnString{
		AccountName:           fields["accountname"],
		AccountKey:            fields["accountkey"],
		SharedAccessSignature: strings.TrimPrefix(fields["sharedaccesssignature"], "?"),
	}
	if err := checkCredential(conn); err != nil {
		return ConnString{}, err
	}
	protocol, err := endpointProtocol(fields)
	if err != nil {
		return ConnString{}, err
	}
	suffix := strings.Trim(fields["endpointsuffix"], ". ")
	if suffix == "" {
		suffix = defaultSuffix
	}
	conn.QueueEndpoint, err = serviceEndpoint(fields, "QueueEndpoint", "queue", protocol, suffix)
	if err != nil {
		return ConnString{}, err
	}
	conn.BlobEndpoint, err = serviceEndpoint(fields, "BlobEndpoint", "blob", protocol, suffix)
	if err != nil {
		return ConnString{}, err
	}
	if conn.AccountName == "" && conn.QueueEndpoint == "" && conn.BlobEndpoint == "" {
		return ConnString{}, connStringError("it has no AccountName and no endpoint")
	}
	return conn, nil
}

// checkCredential requires an account key with its account name, or a SAS.
func checkCredential(conn ConnString) error {
	if conn.AccountName != "" {
		if err := checkAccountName(conn.AccountName); err != nil {
			return err
		}
	}
	switch {
	case conn.AccountKey != "" && conn.AccountName == "":
		return connStringError("it has an AccountKey but no AccountName")
	case conn.AccountKey != "":
		if _, err := base64.StdEncoding.DecodeString(conn.AccountKey); err != nil {
			return connStringError("AccountKey is not valid base64 (it may be cut short)")
		}
	case conn.SharedAccessSignature == "":
		return connStringError("it has neither AccountKey nor SharedAccessSignature")
	}
	return nil
}

// checkAccountName applies Azure's rule: 3 to 24 lower-case letters and digits.
func checkAccountName(name string) error {
	valid := len(name) >= 3 && len(name) <= 24
	for _, r := range name {
		valid = valid && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}
	if !valid {
		return connStringError(fmt.Sprintf("AccountName %q is not a storage account name "+
			"(3 to 24 lower-case letters and digits)", name))
	}
	return nil
}

func endpointProtocol(fields map[string]string) (string, error) {
	protocol := strings.ToLower(fields["defaultendpointsprotocol"])
	switch protocol {
	case "":
		return defaultProtocol, nil
	case "http", "https":
		return protocol, nil
	}
	return "", connStringError(fmt.Sprintf("DefaultEndpointsProtocol %q must be https or http",
		protocol))
}

// serviceEndpoint returns the explicit endpoint of a service, checked, or the one made
// from the account name; "" when neither is known.
func serviceEndpoint(fields map[string]string, name, service, protocol, suffix string) (
	string, error) {
	if explicit, ok := fields[strings.ToLower(name)]; ok {
		endpoint, err := checkEndpoint(name, explicit)
		if err != nil {
			return "", connStringError(err.Error())
		}
		return strings.TrimRight(endpoint.String(), "/"), nil
	}
	account := fields["accountname"]
	if account == "" {
		return "", nil
	}
	return protocol + "://" + account + "." + service + "." + suffix, nil
}

// checkEndpoint requires an absolute http(s) URL without query or user information; the
// error names the setting and shows the value with any signature redacted.
func checkEndpoint(name, raw string) (*url.URL, error) {
	shown := redactSecrets(raw)
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s %q is not a URL", name, shown)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%s %q must start with https://", name, shown)
	case u.Hostname() == "":
		return nil, fmt.Errorf("%s %q has no host", name, shown)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%s %q must have no user, query or fragment "+
			"(a SAS belongs in the connection string's SharedAccessSignature)", name, shown)
	}
	return u, nil
}

// storageClouds maps the endpoint suffixes of Azure Storage to their clouds, whose
// configuration gives the sign-in authority for Entra ID.
var storageClouds = []struct {
	suffix string
	cloud  cloud.Configuration
}{
	{".core.windows.net", cloud.AzurePublic},
	{".storage.azure.net", cloud.AzurePublic}, // DNS-zone endpoints (<a>.z01.queue...)
	{".core.usgovcloudapi.net", cloud.AzureGovernment},
	{".core.chinacloudapi.cn", cloud.AzureChina},
}

// storageSignInTarget checks that an endpoint may receive an Entra token: an Azure Storage
// host over https on the default port, or a loopback address (an emulator on this
// machine). It returns the cloud to sign in to and whether plain HTTP is allowed.
func storageSignInTarget(name, raw string) (*url.URL, cloud.Configuration, error) {
	u, err := checkEndpoint(name, raw)
	if err != nil {
		return nil, cloud.Configuration{}, untrustedStorage(err.Error())
	}
	host := strings.ToLower(u.Hostname())
	if isLoopbackHost(host) {
		return u, cloud.AzurePublic, nil
	}
	for _, known := range storageClouds {
		if !strings.HasSuffix(host, known.suffix) {
			continue
		}
		if u.Scheme != "https" || (u.Port() != "" && u.Port() != "443") {
			return nil, cloud.Configuration{}, untrustedStorage(fmt.Sprintf(
				"%s %s must be reached over https on port 443", name, u.Host))
		}
		return u, known.cloud, nil
	}
	return nil, cloud.Configuration{}, untrustedStorage(fmt.Sprintf("refusing to send an "+
		"Entra token to %s (%s): it is neither an Azure Storage host nor a loopback "+
		"address; give an endpoint under core.windows.net or use a connection string",
		name, u.Host))
}

func untrustedStorage(problem string) error {
	return fmt.Errorf("%w: %s", ErrUntrustedEndpoint, problem)
}

// accountOfEndpoint returns the storage account an endpoint serves: the first path
// segment of an IP-style endpoint (an emulator), else the host's first label.
func accountOfEndpoint(u *url.URL) string {
	host := u.Hostname()
	if isLoopbackHost(host) || net.ParseIP(host) != nil {
		if first, _, _ := strings.Cut(strings.Trim(u.Path, "/"), "/"); first != "" {
			return first
		}
		return host
	}
	first, _, _ := strings.Cut(host, ".")
	return first
}
