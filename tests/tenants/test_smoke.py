def test_signup_creates_user_and_org_and_signs_in(client):
    from tests.conftest import csrf_token

    token = csrf_token(client, "/signup")
    response = client.post("/signup", data={
        "csrf_token": token, "name": "Ada", "email": "ada@example.com", "password": "a long password",
        "org_name": "Acme IT", "kind": "enterprise", "industry": "retail", "size_band": "m", "region": "emea",
    })
    assert response.status_code == 302
    assert response.headers["Location"] == "/o/acme-it/"
    page = client.get("/o/acme-it/")
    assert page.status_code == 200
    assert "Acme IT" in page.get_data(as_text=True)
