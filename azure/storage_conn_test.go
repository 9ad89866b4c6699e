package azure

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// fakeAccountKey is a made-up account key (base64 of "secret-key-1234567890"); the tests check
// that it never shows in a message.
const fakeAccountKey = "c2VjcmV0LWtleS0xMjM0NTY3ODkw"

// fakeSASSignature is the secret part of a made-up SAS.
const fakeSASSignature = "c2lnbmF0dXJlLXNlY3JldA%3D"

func TestParseConnectionStringAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ConnString
	}{
		{
			name: "emulator shortcut",
			in:   "UseDevelopmentStorage=true",
			want: ConnString{AccountName: "devstoreaccount1", AccountKey: devStorageKey,
				QueueEndpoint: "http://127.0.0.1:10001/devstoreaccount1",
				BlobEndpoint:  "http://127.0.0.1:10000/devstoreaccount1", Emulator: true},
		},
		{
			name: "emulator shortcut in other case, trailing separator",
			in:   " usedevelopmentstorage = TRUE ; ",
			want: ConnString{AccountName: "devstoreaccount1", AccountKey: devStorageKey,
				QueueEndpoint: "http://127.0.0.1:10001/devstoreaccount1",
				BlobEndpoint:  "http://127.0.0.1:10000/devstoreaccount1", Emulator: true},
		},
		{
			name: "emulator behind a proxy host",
			in:   "UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://devbox",
			want: ConnString{AccountName: "devstoreaccount1", AccountKey: devStorageKey,
				QueueEndpoint: "http://devbox:10001/devstoreaccount1",
				BlobEndpoint:  "http://devbox:10000/devstoreaccount1", Emulator: true},
		},
		{
			name: "account and key take the public cloud's https endpoints",
			in:   "AccountName=acct1;AccountKey=" + fakeAccountKey,
			want: ConnString{AccountName: "acct1", AccountKey: fakeAccountKey,
				QueueEndpoint: "https://acct1.queue.core.windows.net",
				BlobEndpoint:  "https://acct1.blob.core.windows.net"},
		},
		{
			name: "protocol and suffix build the endpoints",
			in: "DefaultEndpointsProtocol=http;AccountName=acct1;AccountKey=" + fakeAccountKey +
				";EndpointSuffix=core.chinacloudapi.cn",
			want: ConnString{AccountName: "acct1", AccountKey: fakeAccountKey,
				QueueEndpoint: "http://acct1.queue.core.chinacloudapi.cn",
				BlobEndpoint:  "http://acct1.blob.core.chinacloudapi.cn"},
		},
		{
			name: "explicit endpoints win, trailing slash dropped",
			in: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" +
				fakeAccountKey + ";BlobEndpoint=http://127.0.0.1:11000/devstoreaccount1/;" +
				"QueueEndpoint=http://127.0.0.1:11001/devstoreaccount1;",
			want: ConnString{AccountName: "devstoreaccount1", AccountKey: fakeAccountKey,
				QueueEndpoint: "http://127.0.0.1:11001/devstoreaccount1",
				BlobEndpoint:  "http://127.0.0.1:11000/devstoreaccount1"},
		},
		{
			name: "shared access signature with an endpoint only",
			in: "QueueEndpoint=https://acct1.queue.core.windows.net/;" +
				"SharedAccessSignature=?sv=2022-11-02&ss=q&sig=" + fakeSASSignature,
			want: ConnString{SharedAccessSignature: "sv=2022-11-02&ss=q&sig=" + fakeSASSignature,
				QueueEndpoint: "https://acct1.queue.core.windows.net"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConnectionString(tt.in)
			if err != nil {
				t.Fatalf("ParseConnectionString: %v", err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v (secrets compared, not shown)", got, tt.want)
			}
			if got.AccountKey != tt.want.AccountKey ||
				got.SharedAccessSignature != tt.want.SharedAccessSignature {
				t.Error("the secret differs from the one in the connection string")
			}
		})
	}
}

func TestParseConnectionStringRejects(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		mention string // the part the message must name
	}{
		{"empty", "  ", "empty"},
		{"no credential", "AccountName=acct1", "neither AccountKey nor SharedAccessSignature"},
		{"key without account", "AccountKey=" + fakeAccountKey, "AccountKey but no AccountName"},
		{"key cut short", "AccountName=acct1;AccountKey=" + fakeAccountKey[:7] + "*",
			"AccountKey"},
		{"bad account name", "AccountName=Acct_1;AccountKey=" + fakeAccountKey,
			`AccountName "Acct_1"`},
		{"unknown protocol", "DefaultEndpointsProtocol=ftp;AccountName=acct1;AccountKey=" +
			fakeAccountKey, "DefaultEndpointsProtocol"},
		{"endpoint not a URL", "AccountName=acct1;AccountKey=" + fakeAccountKey +
			";QueueEndpoint=queue-host", "QueueEndpoint"},
		{"endpoint carries a SAS", "AccountName=acct1;AccountKey=" + fakeAccountKey +
			";QueueEndpoint=https://acct1.queue.core.windows.net/?sig=" + fakeSASSignature,
			"SharedAccessSignature"},
		{"part without a value", "AccountName=acct1;" + fakeAccountKey, "part 2"},
		{"repeated key", "AccountName=acct1;AccountKey=" + fakeAccountKey + ";accountkey=" +
			fakeAccountKey, "accountkey appears more than once"},
		{"emulator turned off", "UseDevelopmentStorage=false", "UseDevelopmentStorage"},
		{"emulator mixed with an account", "UseDevelopmentStorage=true;AccountName=acct1",
			"cannot be combined"},
		{"signature without account or endpoint", "SharedAccessSignature=sig=" +
			fakeSASSignature, "no AccountName and no endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConnectionString(tt.in)
			if err == nil {
				t.Fatal("ParseConnectionString accepted a bad connection string")
			}
			if !errors.Is(err, ErrBadConnectionString) {
				t.Errorf("error does not wrap ErrBadConnectionString: %v", err)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
			assertNoSecret(t, err.Error())
		})
	}
}

// assertNoSecret fails when text holds the test key, a part of it, or the SAS signature.
func assertNoSecret(t *testing.T, text string) {
	t.Helper()
	for _, secret := range []string{fakeAccountKey, fakeAccountKey[:7], fakeSASSignature} {
		if strings.Contains(text, secret) {
			t.Errorf("text leaks a secret: %q", text)
		}
	}
}

func TestSecretsStayOutOfFormatting(t *testing.T) {
	conn, err := ParseConnectionString("AccountName=acct1;AccountKey=" + fakeAccountKey)
	if err != nil {
		t.Fatal(err)
	}
	withSAS := ConnString{QueueEndpoint: "https://acct1.queue.core.windows.net",
		SharedAccessSignature: "sig=" + fakeSASSignature}
	opts := StorageOptions{ConnectionString: "AccountName=acct1;AccountKey=" + fakeAccountKey,
		QueueEndpoint: "https://acct1.queue.core.windows.net/?sig=" + fakeSASSignature}
	tests := []struct {
		name  string
		value any
		shows string
	}{
		{"connection string with a key", conn, "account key (not shown)"},
		{"connection string with a SAS", withSAS, "shared access signature (not shown)"},
		{"storage options", opts, "(set, not shown)"},
		{"pointer to options", &opts, "(set, not shown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
				text := fmt.Sprintf(verb, tt.value)
				assertNoSecret(t, text)
				if !strings.Contains(text, tt.shows) {
					t.Errorf("%s gives %q, which lacks %q", verb, text, tt.shows)
				}
			}
		})
	}
}

func TestStorageSignInTarget(t *testing.T) {
	tests := []struct {
		endpoint  string
		wantCloud cloud.Configuration
		wantErr   string
	}{
		{endpoint: "https://acct1.queue.core.windows.net", wantCloud: cloud.AzurePublic},
		{endpoint: "https://acct1.z01.queue.storage.azure.net/", wantCloud: cloud.AzurePublic},
		{endpoint: "https://acct1.queue.core.usgovcloudapi.net",
			wantCloud: cloud.AzureGovernment},
		{endpoint: "https://acct1.queue.core.chinacloudapi.cn", wantCloud: cloud.AzureChina},
		{endpoint: "http://127.0.0.1:10001/devstoreaccount1", wantCloud: cloud.AzurePublic},
		{endpoint: "http://localhost:10001/devstoreaccount1", wantCloud: cloud.AzurePublic},
		{endpoint: "http://acct1.queue.core.windows.net", wantErr: "over https on port 443"},
		{endpoint: "https://acct1.queue.core.windows.net:8443", wantErr: "port 443"},
		{endpoint: "https://queue.example.com", wantErr: "neither an Azure Storage host"},
		{endpoint: "https://core.windows.net.example.com", wantErr: "neither an Azure Storage"},
		{endpoint: "https://xcore.windows.net", wantErr: "neither an Azure Storage host"},
		{endpoint: "ftp://acct1.queue.core.windows.net", wantErr: "must start with https://"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			_, gotCloud, err := storageSignInTarget("queue endpoint", tt.endpoint)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) ||
					!errors.Is(err, ErrUntrustedEndpoint) {
					t.Fatalf("error = %v, want ErrUntrustedEndpoint mentioning %q", err,
						tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused a trusted endpoint: %v", err)
			}
			if gotCloud.ActiveDirectoryAuthorityHost != tt.wantCloud.ActiveDirectoryAuthorityHost {
				t.Errorf("authority = %q, want %q", gotCloud.ActiveDirectoryAuthorityHost,
					tt.wantCloud.ActiveDirectoryAuthorityHost)
			}
		})
	}
}

func TestAccountOfEndpoint(t *testing.T) {
	tests := []struct{ endpoint, want string }{
		{"https://acct1.queue.core.windows.net", "acct1"},
		{"http://127.0.0.1:10001/devstoreaccount1", "devstoreaccount1"},
		{"http://[::1]:10001/devstoreaccount1/", "devstoreaccount1"},
		{"http://10.0.0.5:10001/other", "other"},
		{"http://localhost:10001", "localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			u, err := url.Parse(tt.endpoint)
			if err != nil {
				t.Fatal(err)
			}
			if got := accountOfEndpoint(u); got != tt.want {
				t.Errorf("accountOfEndpoint = %q, want %q", got, tt.want)
			}
		})
	}
}
