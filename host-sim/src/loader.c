#include "loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi.h"

const char *nsp_loader_status_name(int status)
{
	switch (status) {
	case NSP_OK:
		return "NSP_OK";
	case NSP_ERR_INVALID_ARGUMENT:
		return "NSP_ERR_INVALID_ARGUMENT";
	case NSP_ERR_ABI:
		return "NSP_ERR_ABI";
	case NSP_ERR_FAILED:
		return "NSP_ERR_FAILED";
	case NSP_ERR_CANCELLED:
		return "NSP_ERR_CANCELLED";
	case NSP_ERR_NOMEM:
		return "NSP_ERR_NOMEM";
	case NSP_ERR_PARTIAL:
		return "NSP_ERR_PARTIAL";
	default:
		return "an unknown status";
	}
}

/* Before dlopen: a clear message for the common mistakes, which dlerror() words obscurely. */
static int check_file(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			snprintf(err, errlen, "plugin %s: no such file (build the plugin, or fix the path)",
				 path);
		else
			snprintf(err, errlen, "plugin %s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "plugin %s: is a directory, not a shared object", path);
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "plugin %s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	unsigned char magic[4] = {0};
	ssize_t n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n != (ssize_t)sizeof(magic) || memcmp(magic, "\177ELF", 4) != 0) {
		snprintf(err, errlen, "plugin %s: not a shared object (no ELF header)", path);
		return -1;
	}
	return 0;
}

static const char *or_unnamed(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "(unnamed)";
}

int nsp_loader_open(const char *path, const nsp_host_api *host, nsp_loaded_plugin **out,
		    char *err, size_t errlen)
{
	*out = NULL;
	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "no plugin path given");
		return -1;
	}
	if (check_file(path, err, errlen) != 0)
		return -1;

	nsp_loaded_plugin *p = calloc(1, sizeof(*p));
	/* dlopen() searches the library path for names without a slash; a plugin path is a path. */
	size_t plen = strlen(path);
	char *dlpath = malloc(plen + 3);
	if (p == NULL || dlpath == NULL || (p->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "plugin %s: out of memory", path);
		free(dlpath);
		nsp_loader_close(p);
		return -1;
	}
	snprintf(dlpath, plen + 3, "%s%s", strchr(path, '/') != NULL ? "" : "./", path);

	dlerror();
	p->dl = dlopen(dlpath, RTLD_NOW | RTLD_LOCAL);
	free(dlpath);
	if (p->dl == NULL) {
		const char *why = dlerror();
		snprintf(err, errlen, "cannot load plugin %s: %s", path,
			 why != NULL ? why : "dlopen failed");
		nsp_loader_close(p);
		return -1;
	}

	dlerror();
	void *sym = dlsym(p->dl, NSP_ENTRY_SYMBOL);
	const char *why = dlerror();
	if (sym == NULL || why != NULL) {
		snprintf(err, errlen,
			 "plugin %s does not export %s: not a Neosync plugin, or built without the "
			 "plugin ABI header",
			 path, NSP_ENTRY_SYMBOL);
		nsp_loader_close(p);
		return -1;
	}
	nsp_entry_fn entry;
	memcpy(&entry, &sym, sizeof(entry)); /* POSIX: dlsym's result converts to a function */

	char perr[512] = "";
	const nsp_plugin_descriptor *theirs = entry(NSP_ABI_MAJOR, NSP_ABI_MINOR, perr, sizeof(perr));
	perr[sizeof(perr) - 1] = '\0';
	if (theirs == NULL) {
		snprintf(err, errlen, "plugin %s refused host ABI %d.%d: %s", path, NSP_ABI_MAJOR,
			 NSP_ABI_MINOR, perr[0] != '\0' ? perr : "(the plugin gave no reason)");
		nsp_loader_close(p);
		return -1;
	}

	char aerr[512];
	if (nsp_abi_negotiate(theirs, &p->desc, aerr, sizeof(aerr)) != 0) {
		snprintf(err, errlen, "plugin %s: %s", path, aerr);
		nsp_loader_close(p);
		return -1;
	}

	char oerr[512] = "";
	int rc = p->desc.open(host, &p->handle, oerr, sizeof(oerr));
	oerr[sizeof(oerr) - 1] = '\0';
	if (rc != NSP_OK || p->handle == NULL) {
		snprintf(err, errlen, "plugin %s (%s %s): open failed with %s: %s", path,
			 or_unnamed(p->desc.name), or_unnamed(p->desc.version),
			 nsp_loader_status_name(rc),
			 oerr[0] != '\0' ? oerr : "(the plugin gave no reason)");
		p->handle = NULL;
		nsp_loader_close(p);
		return -1;
	}
	*out = p;
	return 0;
}

void nsp_loader_close(nsp_loaded_plugin *p)
{
	if (p == NULL)
		return;
	if (p->handle != NULL && p->desc.close != NULL)
		p->desc.close(p->handle);
	if (p->dl != NULL)
		dlclose(p->dl);
	free(p->path);
	free(p);
}

/* nsp_loader_call after the packing: `in` is the packed request. */
static int call_packed(nsp_loaded_plugin *p, nsp_hook_fn hook, const char *hook_name,
		       const uint8_t *in, size_t in_len,
		       const ProtobufCMessageDescriptor *response_type, ProtobufCMessage **response,
		       int *hook_status, char *err, size_t errlen)
{
	static const uint8_t empty[1];

	*response = NULL;
	*hook_status = NSP_ERR_FAILED;
	if (hook == NULL) {
		snprintf(err, errlen, "plugin %s: has no %s hook", p->path, hook_name);
		return -1;
	}
	uint8_t *out = NULL;
	size_t out_len = 0;
	int status = hook(p->handle, in, in_len, &out, &out_len);
	*hook_status = status;

	if (out == NULL && (status != NSP_OK || out_len != 0)) {
		snprintf(err, errlen, "plugin %s: %s returned %s and no response", p->path, hook_name,
			 nsp_loader_status_name(status));
		return -1;
	}
	/* An empty message packs to zero bytes; a plugin may hand those back as NULL. */
	ProtobufCMessage *msg =
		protobuf_c_message_unpack(response_type, NULL, out_len, out != NULL ? out : empty);
	if (out != NULL && p->desc.free_buffer != NULL)
		p->desc.free_buffer(out);
	if (msg == NULL) {
		snprintf(err, errlen, "plugin %s: %s returned %s with %zu bytes that are not a valid %s",
			 p->path, hook_name, nsp_loader_status_name(status), out_len,
			 response_type->name);
		return -1;
	}
	*response = msg;
	return 0;
}

int nsp_loader_call(nsp_loaded_plugin *p, nsp_hook_fn hook, const char *hook_name,
		    const ProtobufCMessage *request, const ProtobufCMessageDescriptor *response_type,
		    ProtobufCMessage **response, int *hook_status, char *err, size_t errlen)
{
	size_t in_len = protobuf_c_message_get_packed_size(request);
	uint8_t *in = malloc(in_len > 0 ? in_len : 1);
	if (in == NULL) {
		*response = NULL;
		*hook_status = NSP_ERR_FAILED;
		snprintf(err, errlen, "plugin %s: %s: out of memory packing a request of %zu bytes",
			 p->path, hook_name, in_len);
		return -1;
	}
	protobuf_c_message_pack(request, in);
	int rc = call_packed(p, hook, hook_name, in, in_len, response_type, response, hook_status,
			     err, errlen);
	free(in);
	return rc;
}

int nsp_loader_describe(nsp_loaded_plugin *p, Neosync__Plugin__V1__DescribeResponse **out,
			char *err, size_t errlen)
{
	Neosync__Plugin__V1__DescribeRequest req = NEOSYNC__PLUGIN__V1__DESCRIBE_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	int status;

	*out = NULL;
	if (nsp_loader_call(p, p->desc.describe, "describe", &req.base,
			    &neosync__plugin__v1__describe_response__descriptor, &resp, &status, err,
			    errlen) != 0)
		return -1;
	if (status != NSP_OK) {
		snprintf(err, errlen, "plugin %s: describe failed with %s", p->path,
			 nsp_loader_status_name(status));
		protobuf_c_message_free_unpacked(resp, NULL);
		return -1;
	}
	*out = (Neosync__Plugin__V1__DescribeResponse *)resp;
	return 0;
}

int nsp_loader_pre_sync(nsp_loaded_plugin *p, const Neosync__Plugin__V1__PreSyncRequest *req,
			Neosync__Plugin__V1__PreSyncResponse **out, int *hook_status, char *err,
			size_t errlen)
{
	ProtobufCMessage *resp = NULL;
	int rc = nsp_loader_call(p, p->desc.pre_sync, "pre_sync", &req->base,
				 &neosync__plugin__v1__pre_sync_response__descriptor, &resp,
				 hook_status, err, errlen);
	*out = (Neosync__Plugin__V1__PreSyncResponse *)resp;
	return rc;
}

int nsp_loader_post_sync(nsp_loaded_plugin *p, const Neosync__Plugin__V1__PostSyncRequest *req,
			 Neosync__Plugin__V1__PostSyncResponse **out, int *hook_status, char *err,
			 size_t errlen)
{
	ProtobufCMessage *resp = NULL;
	int rc = nsp_loader_call(p, p->desc.post_sync, "post_sync", &req->base,
				 &neosync__plugin__v1__post_sync_response__descriptor, &resp,
				 hook_status, err, errlen);
	*out = (Neosync__Plugin__V1__PostSyncResponse *)resp;
	return rc;
}

int nsp_loader_post_sync_packed(nsp_loaded_plugin *p, const uint8_t *req, size_t req_len,
			 Neosync__Plugin__V1__PostSyncResponse **out, int *hook_status, char *err,
			 size_t errlen)
{
	ProtobufCMessage *resp = NULL;
	int rc = call_packed(p, p->desc.post_sync, "post_sync", req, req_len,
			     &neosync__plugin__v1__post_sync_response__descriptor, &resp, hook_status,
			     err, errlen);
	*out = (Neosync__Plugin__V1__PostSyncResponse *)resp;
	return rc;
}
