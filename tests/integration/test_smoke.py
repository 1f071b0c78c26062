def test_token_and_create(client, token_for):
    h = token_for("sensitive", extra=("catalogue:write",))
    r = client.get("/api/v1/datasets", headers=h)
    assert r.status_code == 200
    assert r.json["total"] == 0
