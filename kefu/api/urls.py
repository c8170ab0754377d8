from ninja import NinjaAPI

api = NinjaAPI(title="kefu API", version="1", docs_url="/docs")
