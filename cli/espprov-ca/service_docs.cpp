#include "service_docs.hpp"

namespace espprov_ca {

// Kept beside the command line so the page and the unit are reviewed together; the unit itself is
// packaging/espprov-ca.service.
std::string service_man_section() {
  return R"(.SH "RUNNING AS A SERVICE"
The \fBespprov\-ca\fR package installs \fBespprov\-ca.service\fR, disabled until a token exists.
The service runs under a dynamic user (\fBDynamicUser=yes\fR) with \fBProtectSystem=strict\fR,
\fBNoNewPrivileges=yes\fR and no capabilities; it can write only its state folder
\fI/var/lib/espprov\-ca\fR (\fBStateDirectory=\fR, mode 0700, reached through \fI/var/lib/private\fR).
On the first start it runs \fBespprov\-ca init\fR there: the CA key, the server key and the registry are then
readable by the service alone (files 0600, folder 0700, owned by the dynamic user).
The bearer token is read from \fI/etc/espprov\-ca/token\fR (root only, mode 0600) and handed to the service as a
systemd credential (\fBLoadCredential=\fR), so the service never reads \fI/etc\fR itself.
.PP
.nf
  sudo install \-d \-m 0700 /etc/espprov\-ca
  sudo sh \-c 'umask 077; openssl rand \-hex 24 > /etc/espprov\-ca/token'
  sudo systemctl edit espprov\-ca     # optional, see below
  sudo systemctl enable \-\-now espprov\-ca
  journalctl \-u espprov\-ca           # the "listening" line with the CA certificate
  sudo cat /var/lib/espprov\-ca/ca/ca.pem   # the certificate stations trust (\-\-ca\-cert)
.fi
.PP
The address and the name in the server certificate come from the environment; override them in a drop\-in
(\fBsystemctl edit espprov\-ca\fR) or in \fI/etc/default/espprov\-ca\fR:
.PP
.nf
  [Service]
  Environment=ESPPROV_CA_LISTEN=0.0.0.0:8443 ESPPROV_CA_HOST=ca.factory.example
.fi
.PP
\fBESPPROV_CA_HOST\fR is used once, when the CA folder is made. The defaults are \fB127.0.0.1:8443\fR and
\fBlocalhost\fR. Ports below 1024 need \fBAmbientCapabilities=CAP_NET_BIND_SERVICE\fR in the drop\-in.
)";
}

}  // namespace espprov_ca
