"""URLCL's address (§4.3.1, annexes 4 and 6): public and not private, on the default port."""

import pytest

from payments.tipi import urlcl_address_problems


@pytest.mark.parametrize(
    "url",
    [
        "https://paiement.ville.example/tipi/retour/",
        "http://paiement.ville.fr/tipi/retour/",
        "https://paiement.ville.fr:443/tipi/retour/",
        "http://paiement.ville.fr:80/tipi/retour/",
        "https://193.51.24.1/tipi/retour/",
        "https://[2a01:e0a::1]/tipi/retour/",
    ],
)
def test_public_address_on_default_port_is_accepted(url):
    assert urlcl_address_problems(url) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000/tipi/retour/", "127.0.0.1 n'est pas une adresse IP publique"),
        ("https://10.1.2.3/tipi/retour/", "10.1.2.3 n'est pas une adresse IP publique"),
        ("https://192.168.0.10/tipi/retour/", "192.168.0.10 n'est pas une adresse IP publique"),
        ("https://172.16.5.4/tipi/retour/", "172.16.5.4 n'est pas une adresse IP publique"),
        ("https://169.254.1.1/tipi/retour/", "169.254.1.1 n'est pas une adresse IP publique"),
        ("https://[::1]/tipi/retour/", "::1 n'est pas une adresse IP publique"),
        ("https://[fd00::1]/tipi/retour/", "fd00::1 n'est pas une adresse IP publique"),
        ("https://localhost/tipi/retour/", "localhost n'est pas un nom de serveur public"),
        ("https://intranet/tipi/retour/", "intranet n'est pas un nom de serveur public"),
        ("https://portail.mairie.local/tipi/retour/", "portail.mairie.local n'est pas un nom de serveur public"),
        ("https://paiement.ville.fr:8443/tipi/retour/", "port 8443 : seuls les ports par défaut"),
        ("http://paiement.ville.fr:443/tipi/retour/", "port 443 : seuls les ports par défaut"),
        ("ftp://paiement.ville.fr/", "doit commencer par http:// ou https://"),
        ("https:///tipi/retour/", "ne nomme aucun serveur"),
        ("https://paiement.ville.fr:99999/", "adresse illisible"),
    ],
)
def test_private_loopback_or_other_port_is_refused(url, expected):
    problems = urlcl_address_problems(url)
    assert any(expected in problem for problem in problems), problems


def test_private_address_and_port_are_both_reported():
    assert len(urlcl_address_problems("http://192.168.1.2:8080/")) == 2
