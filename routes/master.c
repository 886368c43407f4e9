/* master.c - master configuration (UpdateMasterConfig) and dmctl -encrypt. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "dm_crypt.h"
#include "dm_error.h"
#include "dmmaster.pb-c.h"
#include "handlers.h"

enum route_rc h_update_master_config(struct route_ctx *c)
{
    const char *cfg = NULL;
    json_t *hold = NULL;
    enum route_rc rc = ROUTE_DONE;
    if (body_config_text(c, &cfg, &hold) == DM_OK) {
        Pb__UpdateMasterConfigRequest r = PB__UPDATE_MASTER_CONFIG_REQUEST__INIT;
        r.config = (char *)cfg;
        rc = route_master_call(c, "UpdateMasterConfig", &r.base, true, route_done_dm);
    }
    json_decref(hold);
    return rc;
}

/* {"password": "..."} -> {"result":true,"msg":"","encrypted":"<base64>"}. */
enum route_rc h_encrypt_password(struct route_ctx *c)
{
    static const char *const keys[] = {"password", NULL};
    json_t *obj = NULL;
    const char *pw = NULL;
    char *enc = NULL;
    int e = body_json_object(c, false, &obj);
    e = e ? e : body_only_keys(c, obj, keys);
    e = e ? e : body_opt_string(c, obj, "password", &pw);
    if (e != DM_OK)
        goto out;
    if (!pw) {
        route_problem(c, 400, "password: required");
        goto out;
    }
    e = dm_crypt_encrypt(pw, &enc);
    if (e != DM_OK) {
        route_problem(c, 500, "encryption failed: %s", dm_strerror(e));
        goto out;
    }
    json_t *ans = json_pack("{s:b,s:s,s:s}", "result", 1, "msg", "", "encrypted", enc);
    char *s = ans ? json_dumps(ans, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;
    if (s)
        route_json(c, 200, s);
    else
        route_problem(c, 500, "out of memory");
    free(s);
    json_decref(ans);
out:
    free(enc);
    json_decref(obj);
    return ROUTE_DONE;
}
