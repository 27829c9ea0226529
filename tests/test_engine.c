/* test_engine.c — (being written) */
int main(void) { return 0; }
